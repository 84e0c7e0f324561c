"use client";
import Link from "next/link";
import { EnvironmentBadge, FlavorLabel } from "@/components/hosts/host-status";
import { useUser } from "@/components/shell/user-context";
import { Badge } from "@/components/ui/badge";
import { ButtonLink } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { trpc } from "@/lib/trpc";
import { formatBytes, formatRelative } from "@/server/util/format";

export default function HostsPage() {
  const { can } = useUser();
  const q = trpc.hosts.list.useQuery();
  return (
    <>
      <PageHeader
        title="Hosts"
        description="MySQL and MariaDB servers dbbackup backs up."
        actions={can("admin") && <ButtonLink href="/hosts/new">Add host</ButtonLink>}
      />
      <Card>
        <DataTable
          query={q}
          loadingLabel="Loading hosts…"
          rowKey={(h) => h.id}
          empty={
            <EmptyState title="No hosts yet" action={can("admin") && <ButtonLink href="/hosts/new">Add your first host</ButtonLink>}>
              Register a MySQL or MariaDB server to back it up. To try dbbackup without one, run <code>npm run demo</code>: it starts a sandbox MariaDB and registers it here.
            </EmptyState>
          }
          columns={[
            {
              header: "Name",
              cell: (h) => (
                <>
                  <Link href={`/hosts/${h.id}`} className="font-medium text-brand-700 hover:underline">
                    {h.name}
                  </Link>
                  <div className="mt-0.5 flex gap-1">
                    <EnvironmentBadge env={h.environment} />
                    {h.isVerificationHost && <Badge tone="violet">verification</Badge>}
                    {h.labels.map((l) => (
                      <Badge key={l}>{l}</Badge>
                    ))}
                  </div>
                </>
              ),
            },
            { header: "Address", className: "font-mono text-xs", cell: (h) => h.socket ?? `${h.host}:${h.port}` },
            { header: "Server", cell: (h) => <FlavorLabel flavor={h.facts?.flavor} version={h.facts?.version} /> },
            { header: "Data", cell: (h) => (h.facts ? formatBytes(h.facts.totalBytes) : "—") },
            { header: "Binlog", cell: (h) => (h.facts ? h.facts.binlog.enabled ? <Badge tone="green">{h.facts.binlog.format}</Badge> : <Badge tone="amber">off</Badge> : "—") },
            {
              header: "Introspected",
              cell: (h) =>
                h.introspectionError ? (
                  <Badge tone="red" title={h.introspectionError}>
                    unreachable
                  </Badge>
                ) : (
                  formatRelative(h.introspectedAt)
                ),
            },
          ]}
        />
      </Card>
    </>
  );
}
