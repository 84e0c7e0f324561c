"use client";
import { useRouter } from "next/navigation";
import { RestoreTargetFields, useRestoreTarget } from "@/components/backups/restore-target";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Loading } from "@/components/ui/spinner";
import { formErrors } from "@/lib/errors";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { formatBytes, formatDuration } from "@/server/util/format";
import { KIND_LABEL, incidentWhat, type IncidentRow } from "./incident-markers";

type Host = RouterOutputs["hosts"]["get"];

/**
 * "Restore to just before this" / "Restore skipping only this transaction": the plan
 * (incidents.restorePlan) is shown before anything runs; the restore is a point-in-time restore
 * (pitr.start) into new database names or another host, under the same target rules.
 */
export function IncidentRestoreDialog({ host, incident, action, onClose }: { host: Host; incident: IncidentRow; action: "before" | "skip"; onClose: () => void }) {
  const router = useRouter();
  const { can } = useUser();
  const hosts = trpc.hosts.list.useQuery();
  const plan = trpc.incidents.restorePlan.useQuery({ incidentId: incident.id, action }, { retry: false });
  const backupDbs = trpc.backups.get.useQuery({ id: plan.data?.plan.backup.id ?? "" }, { enabled: !!plan.data });
  const dbs: string[] = (backupDbs.data?.databases as string[] | undefined) ?? [];
  const defaultChosen = incident.schema && dbs.includes(incident.schema) ? [incident.schema] : dbs;
  const t = useRestoreTarget({ sourceHostId: host.id, databases: dbs, defaultChosen, suffix: action === "before" ? "_before" : "_undo" });
  const start = trpc.pitr.start.useMutation({ onSuccess: (run) => router.push(`/runs/${run.id}`) });
  const { message, fields } = formErrors(start.error);
  const title = action === "before" ? "Restore to just before this incident" : "Restore skipping only this transaction";
  return (
    <Dialog
      open
      onClose={onClose}
      wide
      title={title}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button
            variant={t.overOriginal ? "danger" : "primary"}
            disabled={!plan.data || t.chosen.length === 0 || (t.overOriginal && !can("admin"))}
            loading={start.isPending}
            onClick={() =>
              plan.data &&
              start.mutate({
                hostId: host.id,
                untilPosition: plan.data.untilPosition,
                skipGtid: plan.data.skipGtid ?? undefined,
                ...t.request(),
              })
            }
          >
            {action === "before" ? "Restore to just before" : "Restore without it"}
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        {message && <Alert tone="error">{message}</Alert>}
        <p className="text-sm">
          <span className="font-medium">{KIND_LABEL[incident.kind]}</span> <span className="font-mono">{incidentWhat(incident)}</span> at {new Date(incident.at).toLocaleString()}
          {incident.gtid && <span className="font-mono"> (GTID {incident.gtid})</span>}
        </p>
        <div className="rounded-md bg-slate-50 p-3 ring-1 ring-inset ring-slate-200" data-testid="incident-plan">
          <div className="mb-1 text-xs font-semibold uppercase text-slate-500">Plan</div>
          {plan.isLoading ? (
            <Loading label="Planning…" />
          ) : plan.error ? (
            <p className="text-sm text-red-700">{plan.error.message}</p>
          ) : plan.data ? (
            <div className="space-y-1 text-sm">
              <p>{plan.data.summary}</p>
              <p className="text-xs text-slate-600">
                Base backup <span className="font-mono">{plan.data.plan.backup.id}</span> ({plan.data.plan.backup.engine}, {formatBytes(plan.data.plan.backup.sizeBytes)}), then {plan.data.plan.segments.length} binlog segment(s), {formatBytes(plan.data.plan.bytesToReplay)} to replay, about{" "}
                {formatDuration(plan.data.plan.estimatedSeconds * 1000)}; stop at <span className="font-mono">{plan.data.untilPosition}</span>
                {plan.data.skipGtid && (
                  <>
                    , skipping <span className="font-mono">{plan.data.skipGtid}</span>
                  </>
                )}
                .
              </p>
            </div>
          ) : null}
        </div>
        <RestoreTargetFields idPrefix="inc" t={t} hosts={hosts.data} sourceHostName={host.name} confirmError={fields.confirm} />
      </div>
    </Dialog>
  );
}
