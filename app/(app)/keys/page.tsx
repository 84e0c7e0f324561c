"use client";
import { useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { formErrors } from "@/lib/errors";
import { trpc } from "@/lib/trpc";
import { NameCreateForm } from "@/components/ui/name-create-form";

export default function KeysPage() {
  const { can } = useUser();
  const utils = trpc.useUtils();
  const q = trpc.keys.list.useQuery();
  const [name, setName] = useState("");
  const create = trpc.keys.create.useMutation({ onSuccess: () => (setName(""), utils.keys.list.invalidate()) });
  const exp = trpc.keys.export.useMutation();
  const { message, fields } = formErrors(create.error);
  return (
    <>
      <PageHeader title="Encryption keys" description="Keys for client-side backup encryption (AES-256-GCM). They are stored sealed in the catalog; export each one and keep it offline: without it, its backups cannot be restored." />
      {can("admin") && <NameCreateForm id="key-name" label="New key" placeholder="prod-2026" value={name} onChange={setName} submitLabel="Generate key" pending={create.isPending} error={fields.name} onSubmit={() => create.mutate({ name })} />}
      {message && !fields.name && <Alert tone="error" className="mb-4">{message}</Alert>}
      {exp.data && (
        <Alert tone="warning" title={`Key ${exp.data.name} (${exp.data.keyId})`} className="mb-4">
          <p>Store this where the catalog is not: with it, `dbbackup restore --encryption-key-file` can decrypt these backups without dbbackup's catalog.</p>
          <code className="mt-2 block break-all rounded bg-slate-900 px-2 py-1 text-xs text-slate-100" data-testid="exported-key">
            {exp.data.hex}
          </code>
        </Alert>
      )}
      <Card>
        <DataTable
          query={q}
          rowKey={(k) => k.id}
          empty={<EmptyState title="No encryption keys">Backups can be encrypted once an admin generates a key.</EmptyState>}
          columns={[
            { header: "Name", className: "font-medium", cell: (k) => k.name },
            { header: "Key id", className: "font-mono text-xs", cell: (k) => k.keyId },
            { header: "Backups", cell: (k) => k.backups },
            { header: "Created", className: "text-xs", cell: (k) => new Date(k.createdAt).toLocaleString() },
            {
              className: "text-right",
              cell: (k) =>
                can("admin") && (
                  <Button size="sm" variant="secondary" loading={exp.isPending} onClick={() => exp.mutate({ id: k.id })}>
                    Export
                  </Button>
                ),
            },
          ]}
        />
      </Card>
    </>
  );
}
