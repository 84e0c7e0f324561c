"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { use, useState } from "react";
import { BackupHistoryCard } from "@/components/backups/backup-history-chart";
import { PolicyForm } from "@/components/policies/policy-form";
import { RunsTable } from "@/components/runs/runs-table";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { trpc } from "@/lib/trpc";

function RetentionPreview({ id }: { id: string }) {
  const q = trpc.policies.retentionPreview.useQuery({ id });
  return (
    <QueryState query={q}>
      {(plan) => (
        <div className="space-y-3 text-sm" data-testid="retention-preview">
          {plan.keep.length === 0 && plan.prune.length === 0 ? (
            <p className="text-slate-500">No backups yet.</p>
          ) : (
            <>
              <ul className="space-y-1">
                {plan.keep.map((k) => (
                  <li key={k.id}>
                    <Badge tone="green">keep</Badge> <Link className="font-mono text-xs hover:underline" href={`/backups/${k.id}`}>{k.id}</Link> <span className="text-xs text-slate-500">{k.reasons.join("; ")}</span>
                  </li>
                ))}
                {plan.prune.map((k) => (
                  <li key={k.id}>
                    <Badge tone="amber">prune</Badge> <Link className="font-mono text-xs hover:underline" href={`/backups/${k.id}`}>{k.id}</Link> <span className="text-xs text-slate-500">{k.reason}</span>
                  </li>
                ))}
              </ul>
              {plan.segmentsPrune.length > 0 && <p className="text-xs text-slate-500">{plan.segmentsPrune.length} archived binlog segment(s) would be pruned (before the oldest kept backup).</p>}
            </>
          )}
        </div>
      )}
    </QueryState>
  );
}

export default function PolicyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const { can } = useUser();
  const router = useRouter();
  const q = trpc.policies.get.useQuery({ id });
  const runs = trpc.runs.list.useQuery({ policyId: id, limit: 20 });
  const runNow = trpc.policies.runNow.useMutation({ onSuccess: (r) => router.push(`/runs/${r.id}`) });
  const prune = trpc.policies.prune.useMutation({ onSuccess: (r) => router.push(`/runs/${r.id}`) });
  const del = trpc.policies.delete.useMutation({ onSuccess: () => router.push("/policies") });
  const [editing, setEditing] = useState(false);
  const utils = trpc.useUtils();
  const downloadYaml = async () => {
    const { fileName, yaml } = await utils.policies.exportYaml.fetch({ id });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([yaml], { type: "text/yaml" }));
    a.download = fileName;
    a.click();
    URL.revokeObjectURL(a.href);
  };
  return (
    <QueryState query={q}>
      {(p) => (
        <>
          <PageHeader
            breadcrumb={<Link href="/policies">Policies</Link>}
            title={
              <span className="flex items-center gap-2">
                {p.name} {!p.enabled && <Badge tone="amber">disabled</Badge>}
              </span>
            }
            description={`${p.host.name} → ${p.target.name} · ${p.schedule} (${p.timezone}) · engine ${p.engine}`}
            actions={
              <>
                <Button variant="secondary" onClick={downloadYaml}>
                  Export YAML
                </Button>
                {can("operator") && (
                <>
                  <Button loading={runNow.isPending} onClick={() => runNow.mutate({ id })}>
                    Run now
                  </Button>
                  <Button variant="secondary" loading={prune.isPending} onClick={() => prune.mutate({ id, dryRun: false })}>
                    Prune now
                  </Button>
                  <Button variant="secondary" onClick={() => setEditing(!editing)}>
                    {editing ? "Close editor" : "Edit"}
                  </Button>
                  <Button variant="ghost" loading={del.isPending} onClick={() => confirm(`Delete policy ${p.name}? Its backups stay.`) && del.mutate({ id })}>
                    Delete
                  </Button>
                </>
                )}
              </>
            }
          />
          {(runNow.error || prune.error || del.error) && (
            <Alert tone="error" className="mb-4">
              {(runNow.error ?? prune.error ?? del.error)!.message}
            </Alert>
          )}
          {editing ? (
            <PolicyForm policy={p} />
          ) : (
            <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
              <Card>
                <CardHeader title="Upcoming runs" />
                <CardBody>
                  {p.upcoming.length === 0 ? (
                    <p className="text-sm text-slate-500">Disabled: nothing scheduled.</p>
                  ) : (
                    <ol className="space-y-1 font-mono text-xs" data-testid="upcoming-runs">
                      {p.upcoming.map((d, i) => (
                        <li key={i}>{new Date(d).toLocaleString(undefined, { timeZone: p.timezone, dateStyle: "full", timeStyle: "short" })}</li>
                      ))}
                    </ol>
                  )}
                  {p.nextVerify && <p className="mt-3 text-xs text-slate-600">Next verification: {new Date(p.nextVerify).toLocaleString()}</p>}
                </CardBody>
              </Card>
              <Card className="lg:col-span-2">
                <CardHeader title="Retention right now" description="What the next prune would keep and remove, and why." />
                <CardBody>
                  <RetentionPreview id={id} />
                </CardBody>
              </Card>
              <div className="lg:col-span-3">
                <BackupHistoryCard policyId={id} />
              </div>
              <Card className="lg:col-span-3">
                <CardHeader title="Recent runs" />
                <QueryState query={runs}>{(r) => <RunsTable runs={r.items} showHost={false} empty="This policy has not run yet." />}</QueryState>
              </Card>
            </div>
          )}
        </>
      )}
    </QueryState>
  );
}
