"use client";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { DatabaseMapping, OverwriteConfirm } from "@/components/backups/database-mapping";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Checkbox, Field, Select } from "@/components/ui/field";
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
  const [targetHostId, setTarget] = useState(host.id);
  const [rename, setRename] = useState<Record<string, string>>({});
  const [selected, setSelected] = useState<string[] | null>(null);
  const [dropExisting, setDrop] = useState(false);
  const [confirm, setConfirm] = useState("");
  const suffix = action === "before" ? "_before" : "_undo";
  useEffect(() => {
    if (dbs.length && !Object.keys(rename).length) setRename(Object.fromEntries(dbs.map((d) => [d, `${d}${suffix}`])));
  }, [dbs.join(",")]); // eslint-disable-line react-hooks/exhaustive-deps
  const defaultChosen = incident.schema && dbs.includes(incident.schema) ? [incident.schema] : dbs;
  const chosen = selected ?? defaultChosen;
  const start = trpc.pitr.start.useMutation({ onSuccess: (run) => router.push(`/runs/${run.id}`) });
  const { message, fields } = formErrors(start.error);
  const overOriginal = targetHostId === host.id && chosen.some((d) => (rename[d] || d) === d);
  const renameMap = Object.fromEntries(chosen.filter((d) => rename[d] && rename[d] !== d).map((d) => [d, rename[d]!]));
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
            variant={overOriginal ? "danger" : "primary"}
            disabled={!plan.data || chosen.length === 0 || (overOriginal && !can("admin"))}
            loading={start.isPending}
            onClick={() =>
              plan.data &&
              start.mutate({
                hostId: host.id,
                targetHostId,
                untilPosition: plan.data.untilPosition,
                skipGtid: plan.data.skipGtid ?? undefined,
                databases: chosen,
                rename: renameMap,
                dropExisting: dropExisting || overOriginal,
                confirm: overOriginal ? confirm : undefined,
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
        <Field label="Restore into host" htmlFor="inc-host">
          <Select id="inc-host" value={targetHostId} onChange={(e) => setTarget(e.target.value)}>
            {hosts.data?.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
                {h.id === host.id ? " (this host)" : ""}
              </option>
            ))}
          </Select>
        </Field>
        {dbs.length > 0 && <DatabaseMapping databases={dbs} selected={chosen} names={rename} onSelected={setSelected} onNames={setRename} />}
        {!overOriginal && <Checkbox label="Replace databases that already exist on the target" checked={dropExisting} onChange={(e) => setDrop(e.target.checked)} />}
        {overOriginal && <OverwriteConfirm hostName={host.name} databases={chosen.filter((d) => (rename[d] || d) === d)} confirm={confirm} onConfirm={setConfirm} error={fields.confirm} />}
      </div>
    </Dialog>
  );
}
