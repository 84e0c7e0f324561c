"use client";
import { useEffect, useId } from "react";
import { formErrors } from "@/lib/errors";
import { Alert } from "./alert";
import { Button } from "./button";
import { Dialog } from "./dialog";

/** What FormDialog needs of a tRPC mutation (`trpc.x.y.useMutation()` is one). */
type MutationLike = { isPending: boolean; error: unknown; reset: () => void };

/**
 * A dialog around one form and the mutation it submits: title, optional description, the fields
 * as children, Cancel and a submit button that spins while the mutation runs, and the mutation's
 * error (the DomainError's message from tRPC; a field's own error goes under that field). It
 * closes when `onSubmit` resolves, unless `closeOnSuccess` is false (a dialog whose mutation
 * navigates away), and forgets the last attempt's error when it is opened again.
 */
export function FormDialog({
  open,
  onClose,
  title,
  description,
  wide,
  mutation,
  onSubmit,
  submitLabel,
  submitVariant = "primary",
  submitDisabled,
  closeOnSuccess = true,
  errorTitle,
  errorTestId,
  children,
}: {
  open: boolean;
  onClose: () => void;
  title: React.ReactNode;
  description?: React.ReactNode;
  wide?: boolean;
  mutation: MutationLike;
  /** runs the mutation, e.g. `() => create.mutateAsync(input)`; a rejection leaves the dialog open with the error */
  onSubmit: () => Promise<unknown>;
  submitLabel: React.ReactNode;
  submitVariant?: "primary" | "danger";
  submitDisabled?: boolean;
  closeOnSuccess?: boolean;
  errorTitle?: React.ReactNode;
  errorTestId?: string;
  children?: React.ReactNode;
}) {
  const formId = useId();
  const { message } = formErrors(mutation.error);
  const { reset } = mutation;
  useEffect(() => {
    if (open) reset();
  }, [open]); // eslint-disable-line react-hooks/exhaustive-deps -- only when it opens
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (submitDisabled || mutation.isPending) return;
    try {
      await onSubmit();
    } catch {
      return; // the mutation holds the error, shown above the fields
    }
    if (closeOnSuccess) onClose();
  };
  return (
    <Dialog
      open={open}
      onClose={onClose}
      wide={wide}
      title={title}
      footer={
        <>
          <Button type="button" variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button form={formId} type="submit" variant={submitVariant} loading={mutation.isPending} disabled={submitDisabled}>
            {submitLabel}
          </Button>
        </>
      }
    >
      <form id={formId} className="space-y-4" noValidate onSubmit={submit}>
        {description && <p className="text-sm text-slate-600">{description}</p>}
        {message && (
          <Alert tone="error" title={errorTitle}>
            <span data-testid={errorTestId ?? "form-dialog-error"}>{message}</span>
          </Alert>
        )}
        {children}
      </form>
    </Dialog>
  );
}
