"use client";
import { useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { formErrors } from "@/lib/errors";
import { trpc } from "@/lib/trpc";
import { ROLE_DESCRIPTIONS } from "@/server/auth/roles";

export default function AccountPage() {
  const { user } = useUser();
  const [f, setF] = useState({ currentPassword: "", newPassword: "" });
  const change = trpc.me.changePassword.useMutation({ onSuccess: () => setF({ currentPassword: "", newPassword: "" }) });
  const { message, fields } = formErrors(change.error);
  return (
    <div className="max-w-xl space-y-6">
      <PageHeader title="Your account" description={`${user.email} · ${user.role}: ${ROLE_DESCRIPTIONS[user.role]}`} />
      <Card>
        <CardHeader title="Change password" />
        <CardBody>
          <form
            className="space-y-4"
            onSubmit={(e) => {
              e.preventDefault();
              change.mutate(f);
            }}
          >
            {message && <Alert tone="error">{message}</Alert>}
            {change.isSuccess && <Alert tone="success">Password changed.</Alert>}
            <Field label="Current password" htmlFor="currentPassword" error={fields.currentPassword}>
              <Input id="currentPassword" type="password" autoComplete="current-password" value={f.currentPassword} onChange={(e) => setF({ ...f, currentPassword: e.target.value })} />
            </Field>
            <Field label="New password" htmlFor="newPassword" error={fields.newPassword} hint="At least 10 characters.">
              <Input id="newPassword" type="password" autoComplete="new-password" value={f.newPassword} onChange={(e) => setF({ ...f, newPassword: e.target.value })} />
            </Field>
            <Button type="submit" loading={change.isPending}>
              Change password
            </Button>
          </form>
        </CardBody>
      </Card>
    </div>
  );
}
