"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { BackupNowDialog } from "@/components/backups/backup-now-dialog";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button, ButtonLink } from "@/components/ui/button";
import { FormDialog } from "@/components/ui/form-dialog";
import { PageHeader } from "@/components/ui/page-header";
import { Tabs } from "@/components/ui/tabs";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { EnvironmentBadge } from "./host-status";

type Host = RouterOutputs["hosts"]["get"];

/** The header every host page shares: name, badges, actions, tabs. */
export function HostHeader({ host, tab }: { host: Host; tab: "overview" | "backups" | "runs" | "timeline" }) {
  const { can } = useUser();
  const router = useRouter();
  const utils = trpc.useUtils();
  const introspect = trpc.hosts.introspect.useMutation({ onSuccess: () => utils.hosts.get.invalidate({ id: host.id }) });
  const del = trpc.hosts.delete.useMutation({
    onSuccess: async () => {
      await utils.hosts.list.invalidate();
      router.push("/hosts");
    },
  });
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [backingUp, setBackingUp] = useState(false);
  const base = `/hosts/${host.id}`;
  return (
    <>
      <PageHeader
        breadcrumb={<Link href="/hosts">Hosts</Link>}
        title={
          <span className="flex items-center gap-2">
            {host.name} <EnvironmentBadge env={host.environment} />
            {host.isVerificationHost && <Badge tone="violet">verification host</Badge>}
          </span>
        }
        description={
          <span className="font-mono text-xs">
            {host.user ? `${host.user}@` : ""}
            {host.socket ?? `${host.host}:${host.port}`} · TLS {host.tlsMode}
          </span>
        }
        actions={
          <>
            {can("operator") && <Button onClick={() => setBackingUp(true)}>Back up now</Button>}
            {can("operator") && (
              <Button variant="secondary" loading={introspect.isPending} onClick={() => introspect.mutate({ id: host.id })}>
                Introspect now
              </Button>
            )}
            {can("admin") && (
              <ButtonLink variant="secondary" href={`${base}/edit`}>
                Edit
              </ButtonLink>
            )}
            {can("admin") && (
              <Button variant="ghost" onClick={() => setConfirmDelete(true)}>
                Delete
              </Button>
            )}
          </>
        }
      />
      {host.introspectionError && (
        <Alert tone="error" title={host.facts ? "The last connection to this host failed (the facts below are older)" : "dbbackup cannot connect to this host"} className="mb-4">
          <span data-testid="introspection-error">{host.introspectionError}</span>
          {can("operator") && <span className="mt-1 block text-xs">Fix the address, user or grants{can("admin") ? " (Edit)" : ""}, then use “Introspect now”.</span>}
        </Alert>
      )}
      {introspect.error && (
        <Alert tone="error" className="mb-4">
          {introspect.error.message}
        </Alert>
      )}
      <Tabs
        active={tab}
        tabs={[
          { key: "overview", label: "Overview", href: base },
          { key: "backups", label: "Backups", href: `${base}/backups` },
          { key: "timeline", label: "Point-in-time recovery", href: `${base}/timeline` },
          { key: "runs", label: "Runs", href: `${base}/runs` },
        ]}
      />
      <BackupNowDialog host={host} open={backingUp} onClose={() => setBackingUp(false)} />
      <FormDialog
        open={confirmDelete}
        onClose={() => setConfirmDelete(false)}
        title={`Delete ${host.name}?`}
        description="The host is removed from dbbackup. Nothing on the server changes. Hosts with backups or policies cannot be deleted."
        mutation={del}
        closeOnSuccess={false}
        submitVariant="danger"
        submitLabel="Delete host"
        onSubmit={() => del.mutateAsync({ id: host.id })}
      />
    </>
  );
}
