"use client";
import { useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Field, Input, Select } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { PageHeader } from "@/components/ui/page-header";
import { formErrors } from "@/lib/errors";
import { trpc } from "@/lib/trpc";
import { ROLE_DESCRIPTIONS } from "@/server/auth/roles";
import { formatRelative } from "@/server/util/format";

function CreateUserDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const utils = trpc.useUtils();
  const [f, setF] = useState({ email: "", name: "", role: "operator" as "admin" | "operator" | "viewer", password: "" });
  const create = trpc.users.create.useMutation({
    onSuccess: async () => {
      await utils.users.list.invalidate();
      setF({ email: "", name: "", role: "operator", password: "" });
    },
  });
  const { fields } = formErrors(create.error);
  return (
    <FormDialog open={open} onClose={onClose} title="Add a user" mutation={create} onSubmit={() => create.mutateAsync(f)} submitLabel="Add user">
      <Field label="Email" htmlFor="new-email" error={fields.email}>
        <Input id="new-email" type="email" value={f.email} onChange={(e) => setF({ ...f, email: e.target.value })} invalid={!!fields.email} />
      </Field>
      <Field label="Name" htmlFor="new-name">
        <Input id="new-name" value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} />
      </Field>
      <Field label="Role" htmlFor="new-role" hint={ROLE_DESCRIPTIONS[f.role]}>
        <Select id="new-role" value={f.role} onChange={(e) => setF({ ...f, role: e.target.value as typeof f.role })}>
          <option value="viewer">viewer</option>
          <option value="operator">operator</option>
          <option value="admin">admin</option>
        </Select>
      </Field>
      <Field label="Initial password" htmlFor="new-password" hint="At least 10 characters; share it privately." error={fields.password}>
        <Input id="new-password" type="password" autoComplete="new-password" value={f.password} onChange={(e) => setF({ ...f, password: e.target.value })} invalid={!!fields.password} />
      </Field>
    </FormDialog>
  );
}

function ResetPasswordDialog({ user, onClose }: { user: { id: string; email: string } | null; onClose: () => void }) {
  const [password, setPassword] = useState("");
  const reset = trpc.users.resetPassword.useMutation({ onSuccess: () => setPassword("") });
  const { fields } = formErrors(reset.error);
  return (
    <FormDialog
      open={!!user}
      onClose={onClose}
      title={`Reset password for ${user?.email}`}
      mutation={reset}
      onSubmit={() => reset.mutateAsync({ userId: user!.id, password })}
      submitDisabled={!user}
      submitLabel="Set password"
    >
      <Field label="New password" htmlFor="reset-password" error={fields.password}>
        <Input id="reset-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </Field>
    </FormDialog>
  );
}

export default function UsersPage() {
  const { user: me } = useUser();
  const utils = trpc.useUtils();
  const q = trpc.users.list.useQuery();
  const setRole = trpc.users.setRole.useMutation({ onSettled: () => utils.users.list.invalidate() });
  const setDisabled = trpc.users.setDisabled.useMutation({ onSettled: () => utils.users.list.invalidate() });
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<{ id: string; email: string } | null>(null);
  const error = setRole.error ?? setDisabled.error;
  return (
    <>
      <PageHeader title="Users" description="Admins manage users, hosts and storage; operators run backups and restores; viewers read." actions={<Button onClick={() => setCreating(true)}>Add user</Button>} />
      {error && (
        <Alert tone="error" className="mb-4">
          {error.message}
        </Alert>
      )}
      <Card>
        <DataTable
          query={q}
          rowKey={(u) => u.id}
          rowProps={(u) => ({ "data-testid": `user-${u.email}` })}
          empty={<EmptyState title="No users">Add a user to give someone access.</EmptyState>}
          columns={[
            {
              header: "User",
              cell: (u) => (
                <>
                  <div className="font-medium text-slate-900">{u.email}</div>
                  {u.name && <div className="text-xs text-slate-500">{u.name}</div>}
                </>
              ),
            },
            {
              header: "Role",
              cell: (u) => (
                <Select
                  aria-label={`Role of ${u.email}`}
                  className="w-32"
                  value={u.role}
                  disabled={setRole.isPending}
                  onChange={(e) => setRole.mutate({ userId: u.id, role: e.target.value as "admin" })}
                >
                  <option value="viewer">viewer</option>
                  <option value="operator">operator</option>
                  <option value="admin">admin</option>
                </Select>
              ),
            },
            { header: "Status", cell: (u) => (u.disabled ? <Badge tone="red">disabled</Badge> : <Badge tone="green">active</Badge>) },
            { header: "Last sign-in", cell: (u) => formatRelative(u.lastLoginAt) },
            {
              className: "text-right",
              cell: (u) => (
                <>
                  <Button size="sm" variant="ghost" onClick={() => setResetting(u)}>
                    Reset password
                  </Button>
                  {u.id !== me.id && (
                    <Button size="sm" variant="ghost" onClick={() => setDisabled.mutate({ userId: u.id, disabled: !u.disabled })}>
                      {u.disabled ? "Enable" : "Disable"}
                    </Button>
                  )}
                </>
              ),
            },
          ]}
        />
      </Card>
      <CreateUserDialog open={creating} onClose={() => setCreating(false)} />
      <ResetPasswordDialog user={resetting} onClose={() => setResetting(null)} />
    </>
  );
}
