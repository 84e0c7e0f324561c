"use client";
import Link from "next/link";
import { RunStateBadge } from "@/components/runs/run-state";
import { useUser } from "@/components/shell/user-context";
import { Badge } from "@/components/ui/badge";
import { Button, ButtonLink } from "@/components/ui/button";
import { ImportYamlDialog } from "@/components/policies/import-yaml-dialog";
import { useState } from "react";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { formatRelative } from "@/server/util/format";

type Retention = RouterOutputs["policies"]["get"]["retention"];

export function retentionSummary(r: Retention): string {
  const parts: string[] = [];
  if (r.keepLast) parts.push(`last ${r.keepLast}`);
  if (r.keepDays) parts.push(`${r.keepDays} days`);
  if (r.gfs) parts.push(`GFS ${r.gfs.daily}d/${r.gfs.weekly}w/${r.gfs.monthly}m/${r.gfs.yearly}y`);
  if (r.pitrDays) parts.push(`PITR ${r.pitrDays} days`);
  return parts.join(", ");
}

export default function PoliciesPage() {
  const { can } = useUser();
  const q = trpc.policies.list.useQuery({});
  const [importing, setImporting] = useState(false);
  return (
    <>
      <PageHeader
        title="Policies"
        description="Scheduled backups with retention and verification. Failing policies first."
        actions={
          can("operator") && (
            <>
              <Button variant="secondary" onClick={() => setImporting(true)}>
                Import YAML
              </Button>
              <ButtonLink href="/policies/new">New policy</ButtonLink>
            </>
          )
        }
      />
      <ImportYamlDialog open={importing} onClose={() => setImporting(false)} />
      <Card>
        <DataTable
          // failing policies first
          query={{ ...q, data: q.data && [...q.data].sort((a, b) => Number(b.lastRun?.state === "failed") - Number(a.lastRun?.state === "failed")) }}
          rowKey={(p) => p.id}
          rowProps={(p) => ({ "data-testid": `policy-${p.name}` })}
          empty={
            <EmptyState title="No policies yet" action={can("operator") && <ButtonLink href="/policies/new">Create a policy</ButtonLink>}>
              A policy backs up a host on a schedule, keeps what its retention says, and can verify backups by restoring them.
            </EmptyState>
          }
          columns={[
            {
              header: "Policy",
              cell: (p) => (
                <>
                  <Link href={`/policies/${p.id}`} className="font-medium text-brand-700 hover:underline">
                    {p.name}
                  </Link>
                  <div className="mt-0.5 flex gap-1">
                    {!p.enabled && <Badge tone="amber">disabled</Badge>}
                    {p.binlogArchiving && <Badge tone="blue">PITR</Badge>}
                    {p.verifySchedule && <Badge tone="violet">verified</Badge>}
                  </div>
                </>
              ),
            },
            { header: "Host", cell: (p) => p.host.name },
            {
              header: "Schedule",
              className: "font-mono text-xs",
              cell: (p) => (
                <>
                  {p.schedule}
                  <div className="text-slate-400">{p.timezone}</div>
                </>
              ),
            },
            { header: "Next run", className: "text-xs", cell: (p) => (p.upcoming[0] ? formatRelative(p.upcoming[0]) : "—") },
            { header: "Last run", cell: (p) => (p.lastRun ? <RunStateBadge state={p.lastRun.state} /> : <span className="text-slate-400">never</span>) },
            { header: "Last success", className: "text-xs", cell: (p) => formatRelative(p.lastSuccessAt) },
            { header: "Retention", className: "text-xs", cell: (p) => retentionSummary(p.retention) },
          ]}
        />
      </Card>
    </>
  );
}
