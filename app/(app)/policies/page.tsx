"use client";
import Link from "next/link";
import { RunStateBadge } from "@/components/runs/run-state";
import { useUser } from "@/components/shell/user-context";
import { Badge } from "@/components/ui/badge";
import { Button, ButtonLink } from "@/components/ui/button";
import { ImportYamlDialog } from "@/components/policies/import-yaml-dialog";
import { useState } from "react";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
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
        <QueryState query={q}>
          {(list) =>
            list.length === 0 ? (
              <EmptyState title="No policies yet" action={can("operator") && <ButtonLink href="/policies/new">Create a policy</ButtonLink>}>
                A policy backs up a host on a schedule, keeps what its retention says, and can verify backups by restoring them.
              </EmptyState>
            ) : (
              <Table>
                <THead>
                  <Th>Policy</Th>
                  <Th>Host</Th>
                  <Th>Schedule</Th>
                  <Th>Next run</Th>
                  <Th>Last run</Th>
                  <Th>Last success</Th>
                  <Th>Retention</Th>
                </THead>
                <TBody>
                  {[...list]
                    .sort((a, b) => Number(b.lastRun?.state === "failed") - Number(a.lastRun?.state === "failed"))
                    .map((p) => (
                      <Tr key={p.id} data-testid={`policy-${p.name}`}>
                        <Td>
                          <Link href={`/policies/${p.id}`} className="font-medium text-brand-700 hover:underline">
                            {p.name}
                          </Link>
                          <div className="mt-0.5 flex gap-1">
                            {!p.enabled && <Badge tone="amber">disabled</Badge>}
                            {p.binlogArchiving && <Badge tone="blue">PITR</Badge>}
                            {p.verifySchedule && <Badge tone="violet">verified</Badge>}
                          </div>
                        </Td>
                        <Td>{p.host.name}</Td>
                        <Td className="font-mono text-xs">
                          {p.schedule}
                          <div className="text-slate-400">{p.timezone}</div>
                        </Td>
                        <Td className="text-xs">{p.upcoming[0] ? formatRelative(p.upcoming[0]) : "—"}</Td>
                        <Td>{p.lastRun ? <RunStateBadge state={p.lastRun.state} /> : <span className="text-slate-400">never</span>}</Td>
                        <Td className="text-xs">{formatRelative(p.lastSuccessAt)}</Td>
                        <Td className="text-xs">{retentionSummary(p.retention)}</Td>
                      </Tr>
                    ))}
                </TBody>
              </Table>
            )
          }
        </QueryState>
      </Card>
    </>
  );
}
