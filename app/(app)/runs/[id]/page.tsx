"use client";
import { RepairSqlDownload } from "@/components/incidents/repair-sql-download";
import Link from "next/link";
import { use, useEffect, useRef } from "react";
import { RunParams } from "@/components/runs/run-params";
import { RunProgress, type RunProgressData } from "@/components/runs/run-progress";
import { isActive, KIND_LABEL, RunStateBadge } from "@/components/runs/run-state";
import { duration } from "@/components/runs/runs-table";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Button, ButtonLink } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { trpc } from "@/lib/trpc";

function LogView({ logs }: { logs: { id: number; at: Date; level: string; message: string }[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [logs.length]);
  if (logs.length === 0) return <p className="text-sm text-slate-500">Nothing logged yet.</p>;
  return (
    <div ref={ref} className="max-h-96 overflow-y-auto rounded-md bg-slate-950 p-3 font-mono text-xs leading-relaxed text-slate-200" data-testid="run-log">
      {logs.map((l) => (
        <div key={l.id} className={l.level === "error" ? "text-red-300" : l.level === "warn" ? "text-amber-300" : ""}>
          <span className="text-slate-500">{new Date(l.at).toLocaleTimeString()} </span>
          {l.message}
        </div>
      ))}
    </div>
  );
}

export default function RunPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const { can } = useUser();
  const utils = trpc.useUtils();
  const q = trpc.runs.get.useQuery({ id }, { refetchInterval: (query) => (query.state.data && !isActive(query.state.data.state) ? false : 1000) });
  const cancel = trpc.runs.cancel.useMutation({ onSuccess: () => utils.runs.get.invalidate({ id }) });
  return (
    <QueryState query={q} loadingLabel="Loading run…">
      {(run) => (
        <>
          <PageHeader
            breadcrumb={<Link href="/runs">Runs</Link>}
            title={
              <span className="flex items-center gap-3">
                {KIND_LABEL[run.kind] ?? run.kind}
                {run.host && <span className="font-normal text-slate-500">on {run.host.name}</span>}
                <RunStateBadge state={run.state} />
              </span>
            }
            description={
              <span className="font-mono text-xs">
                {run.id} · queued {new Date(run.queuedAt).toLocaleString()} ·{" "}
                <span title="From the moment a runner picked the run up to its final state: connecting, the engine's work, writing the manifest and the catalog. The backup's own duration counts only the engine's work." data-testid="run-duration">
                  run took {duration(run)}
                  {run.state === "queued" || run.state === "running" ? " so far" : ""} (start to end)
                </span>{" "}
                · attempt {run.attempt} of {run.maxAttempts} · by {run.createdBy?.email ?? (run.policy ? `policy ${run.policy.name}` : "system")}
              </span>
            }
            actions={
              <>
                {run.backupId && run.kind === "backup" && run.state === "succeeded" && (
                  <ButtonLink variant="secondary" href={`/backups/${run.backupId}`}>
                    View backup
                  </ButtonLink>
                )}
                {run.kind === "table-restore" && run.state === "succeeded" && can("operator") && <RepairSqlDownload runId={run.id} />}
                {can("operator") && isActive(run.state) && !run.cancelRequested && (
                  <Button variant="danger" loading={cancel.isPending} onClick={() => cancel.mutate({ id })}>
                    Cancel
                  </Button>
                )}
              </>
            }
          />
          {run.cancelRequested && isActive(run.state) && (
            <Alert tone="warning" className="mb-4">
              Cancellation requested; the runner is stopping this run and removing its partial work.
            </Alert>
          )}
          {run.error && run.state !== "succeeded" && (
            <Alert tone={run.state === "queued" ? "warning" : "error"} title={run.state === "queued" ? "The last attempt failed; it will be retried" : "This run failed"} className="mb-4">
              <span data-testid="run-error">{run.error}</span>
            </Alert>
          )}
          {cancel.error && (
            <Alert tone="error" className="mb-4">
              {cancel.error.message}
            </Alert>
          )}
          <Card className="mb-6">
            <CardBody>
              <RunProgress progress={run.progress as RunProgressData} state={run.state} />
            </CardBody>
          </Card>
          <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
            <Card className="lg:col-span-2">
              <CardHeader title="Log" />
              <CardBody>
                <LogView logs={run.logs} />
              </CardBody>
            </Card>
            <Card>
              <CardHeader title="Parameters" />
              <CardBody>
                <RunParams params={run.params} names={run.names} />
                {run.result && Object.keys(run.result).length > 0 && (
                  <>
                    <h3 className="mb-1 mt-4 text-xs font-semibold uppercase text-slate-500">Result</h3>
                    <pre className="overflow-x-auto whitespace-pre-wrap break-all text-xs text-slate-700" data-testid="run-result">
                      {JSON.stringify(run.result, null, 2)}
                    </pre>
                  </>
                )}
              </CardBody>
            </Card>
          </div>
        </>
      )}
    </QueryState>
  );
}
