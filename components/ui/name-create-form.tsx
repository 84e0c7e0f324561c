"use client";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";

/** The one-field "create by name" form above a list (a new key, a new agent token). */
export function NameCreateForm({ id, label, placeholder, value, onChange, submitLabel, pending, error, onSubmit }: { id: string; label: string; placeholder: string; value: string; onChange: (v: string) => void; submitLabel: string; pending: boolean; error?: string; onSubmit: () => void }) {
  return (
    <form
      className="mb-4 flex items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <Field label={label} htmlFor={id} error={error}>
        <Input id={id} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
      </Field>
      <Button type="submit" loading={pending}>
        {submitLabel}
      </Button>
    </form>
  );
}
