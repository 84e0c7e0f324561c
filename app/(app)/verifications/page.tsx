"use client";
import Link from "next/link";
import { useState } from "react";
import { VerificationChecks, VerificationResult } from "@/components/backups/verification-checks";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { HostFilter } from "@/components/hosts/host-select";
import { trpc } from "@/lib/trpc";
import { formatDuration, formatRelative } from "@/server/util/format";

export default function VerificationsPage() {
  const [hostId, setHostId] = useState("");
  const [result, setResult] = useState("");
  const q = trpc.verifications.list.useQuery({ hostId: hostId || undefined, result: (result || undefined) as "passed" | undefined, limit: 100 }, { refetchInterval: 10_000 });
  return (
    <>
      <PageHeader title="Verifications" description="Proof that backups restore: each verification restored a backup into a throwaway server and checked it." />
      <div className="mb-4 flex gap-2">
        <HostFilter value={hostId} onChange={setHostId} className="w-48" />
        <Select aria-label="Result" className="w-36" value={result} onChange={(e) => setResult(e.target.value)}>
          <option value="">Any result</option>
          <option value="passed">passed</option>
          <option value="failed">failed</option>
        </Select>
      </div>
      <QueryState query={q}>
        {(list) =>
          list.length === 0 ? (
            <Card>
              <EmptyState title="No verifications yet">Open a backup and choose "Verify now", or give a policy a verification schedule.</EmptyState>
            </Card>
          ) : (
            <div className="space-y-3">
              {list.map((v) => (
                <Card key={v.id} className="px-5 py-4" data-testid={`verification-${v.id}`}>
                  <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
                    <div className="flex items-center gap-2 text-sm">
                      <VerificationResult result={v.result} />
                      <Link href={`/backups/${v.backup.id}`} className="font-medium text-brand-700 hover:underline">
                        {v.backup.host.name} · {v.backup.engine} backup of {new Date(v.backup.finishedAt).toLocaleString()}
                      </Link>
                      {v.kind === "drill" && <Badge tone="violet">PITR drill</Badge>}
                    </div>
                    <div className="text-xs text-slate-500">
                      {formatRelative(v.createdAt)} · took {formatDuration(v.durationMs)}
                      {v.runId && (
                        <>
                          {" · "}
                          <Link href={`/runs/${v.runId}`} className="hover:underline">
                            run
                          </Link>
                        </>
                      )}
                    </div>
                  </div>
                  <VerificationChecks checks={v.checks} />
                </Card>
              ))}
            </div>
          )
        }
      </QueryState>
    </>
  );
}
