"use client";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { Field, Input, Select } from "@/components/ui/field";
import { FormDialog } from "@/components/ui/form-dialog";
import { Loading } from "@/components/ui/spinner";
import { RestoreTargetFields, useRestoreTarget } from "@/components/backups/restore-target";
import { formErrors } from "@/lib/errors";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { formatBytes, formatDuration } from "@/server/util/format";

type Host = RouterOutputs["hosts"]["get"];

/** datetime-local value (local time, seconds) for a Date */
function localInput(d: Date) {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function useDebounced<T>(v: T, ms: number) {
  const [d, setD] = useState(v);
  useEffect(() => {
    const t = setTimeout(() => setD(v), ms);
    return () => clearTimeout(t);
  }, [v, ms]);
  return d;
}

/**
 * "Restore to this point…": a time (to the second), a GTID or a binlog position; where to restore
 * and under which names. The plan (base backup, segments, bytes, estimate) is shown before
 * anything runs.
 */
export function PitrRestoreDialog({ host, open, onClose, initialTime }: { host: Host; open: boolean; onClose: () => void; initialTime: Date | null }) {
  const router = useRouter();
  const { can } = useUser();
  const hosts = trpc.hosts.list.useQuery();
  const [kind, setKind] = useState<"time" | "gtid" | "position">("time");
  const [time, setTime] = useState(localInput(initialTime ?? new Date(Date.now() - 60_000)));
  const [gtid, setGtid] = useState("");
  const [position, setPosition] = useState("");
  const target = kind === "time" ? { until: time ? new Date(time).toISOString() : "" } : kind === "gtid" ? { untilGtid: gtid } : { untilPosition: position };
  const debounced = useDebounced(target, 400);
  const ready = Object.values(debounced).some((v) => v);
  const plan = trpc.pitr.plan.useQuery({ hostId: host.id, ...debounced }, { enabled: ready, retry: false });
  const backupDbs = trpc.backups.get.useQuery({ id: plan.data?.backup.id ?? "" }, { enabled: !!plan.data });
  const dbs = backupDbs.data?.databases ?? [];
  const t = useRestoreTarget({ sourceHostId: host.id, databases: dbs, suffix: "_pitr" });
  const start = trpc.pitr.start.useMutation({ onSuccess: (run) => router.push(`/runs/${run.id}`) });
  const { fields } = formErrors(start.error);
  return (
    <FormDialog
      open={open}
      onClose={onClose}
      wide
      title={`Restore ${host.name} to a point in time`}
      mutation={start}
      closeOnSuccess={false}
      submitVariant={t.overOriginal ? "danger" : "primary"}
      submitDisabled={!plan.data || t.chosen.length === 0 || (t.overOriginal && !can("admin"))}
      submitLabel="Restore to this point"
      onSubmit={() =>
        start.mutateAsync({ hostId: host.id, ...target, ...t.request() })
      }
    >
      <div className="grid grid-cols-3 gap-4">
        <Field label="Target" htmlFor="pitr-kind">
          <Select id="pitr-kind" value={kind} onChange={(e) => setKind(e.target.value as typeof kind)}>
            <option value="time">a moment (to the second)</option>
            <option value="gtid">a GTID (included)</option>
            <option value="position">a binlog position</option>
          </Select>
        </Field>
        <div className="col-span-2">
          {kind === "time" && (
            <Field label="Restore to (your local time)" htmlFor="pitr-time" error={fields.until}>
              <Input id="pitr-time" type="datetime-local" step={1} value={time} onChange={(e) => setTime(e.target.value)} />
            </Field>
          )}
          {kind === "gtid" && (
            <Field label="GTID" htmlFor="pitr-gtid" error={fields.untilGtid} hint="MariaDB domain-server-seq, e.g. 0-1-1234; MySQL uuid:n.">
              <Input id="pitr-gtid" className="font-mono" value={gtid} onChange={(e) => setGtid(e.target.value)} />
            </Field>
          )}
          {kind === "position" && (
            <Field label="Binlog position" htmlFor="pitr-pos" error={fields.untilPosition} hint="FILE:POS, e.g. binlog.000012:4567.">
              <Input id="pitr-pos" className="font-mono" value={position} onChange={(e) => setPosition(e.target.value)} />
            </Field>
          )}
        </div>
      </div>

      <div className="rounded-md bg-slate-50 p-3 ring-1 ring-inset ring-slate-200" data-testid="pitr-plan">
        <div className="mb-1 text-xs font-semibold uppercase text-slate-500">Plan</div>
        {!ready ? (
          <p className="text-sm text-slate-500">Choose a target.</p>
        ) : plan.isLoading ? (
          <Loading label="Planning…" />
        ) : plan.error ? (
          <p className="text-sm text-red-700" data-testid="pitr-plan-error">
            {plan.error.message}
          </p>
        ) : plan.data ? (
          <div className="space-y-1 text-sm">
            <p>{plan.data.summary}</p>
            <p className="text-xs text-slate-600">
              Base backup <span className="font-mono">{plan.data.backup.id}</span> ({plan.data.backup.engine}, {formatBytes(plan.data.backup.sizeBytes)}), then {plan.data.segments.length} binlog segment(s),{" "}
              {formatBytes(plan.data.bytesToReplay)} to replay, about {formatDuration(plan.data.estimatedSeconds * 1000)} of replay.
            </p>
            {plan.data.predicted && (
              <p className="text-xs text-slate-600" data-testid="pitr-predicted" title={plan.data.predicted.basis}>
                Predicted restore time:{" "}
                {plan.data.predicted.ms === null ? <span className="italic">{plan.data.predicted.basis}</span> : <span className="font-medium text-slate-800">{formatDuration(plan.data.predicted.ms)}</span>}
                {plan.data.predicted.ms !== null && plan.data.predicted.chainLinks > 1 && <> ({plan.data.predicted.chainLinks} chain links)</>}
              </p>
            )}
          </div>
        ) : null}
      </div>

      <RestoreTargetFields idPrefix="pitr" t={t} hosts={hosts.data} sourceHostName={host.name} confirmError={fields.confirm} />
    </FormDialog>
  );
}
