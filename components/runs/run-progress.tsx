import { ProgressBar } from "@/components/ui/progress";
import type { StoredProgress } from "@/server/runner/progress-tracker";
import { formatBytes, formatDuration } from "@/server/util/format";

/** What the runner stores as a run's progress (server/runner/progress-tracker.ts), all optional. */
export type RunProgressData = Partial<Omit<StoredProgress, "updatedAt">>;

/** Fraction done from whatever totals the run reports (bytes first, then tables). */
export function fractionDone(p: RunProgressData, state: string): number | null {
  if (state === "succeeded") return 1;
  if (p.bytesTotal && p.bytesDone !== undefined) return Math.min(1, p.bytesDone / p.bytesTotal);
  if (p.tablesTotal && p.tablesDone !== undefined) return Math.min(1, p.tablesDone / p.tablesTotal);
  if (p.rowsTotal && p.rowsDone !== undefined) return Math.min(1, p.rowsDone / p.rowsTotal);
  return null;
}

function Stat({ label, value, title }: { label: string; value: React.ReactNode; title?: string }) {
  return (
    <div title={title} data-testid={`run-stat-${label.toLowerCase().replace(/[^a-z]+/g, "-").replace(/-$/, "")}`}>
      <div className="text-xs text-slate-500">{label}</div>
      <div className="text-sm font-medium text-slate-900 tabular-nums">{value}</div>
    </div>
  );
}

/** The live progress of a run: a bar, its phase, and the numbers a DBA watches. */
export function RunProgress({ progress: p, state, compact }: { progress: RunProgressData; state: string; compact?: boolean }) {
  const f = fractionDone(p, state);
  const finished = ["succeeded", "failed", "cancelled"].includes(state);
  const tone = state === "failed" ? "red" : state === "cancelled" ? "gray" : state === "succeeded" ? "green" : "brand";
  if (compact) {
    return (
      <div className="w-36">
        <ProgressBar value={state === "queued" ? 0 : f} tone={tone} label="progress" />
        <div className="mt-0.5 truncate text-xs text-slate-500">{state === "running" ? `${p.phase ?? ""}${f !== null ? ` · ${Math.round(f * 100)}%` : ""}` : ""}</div>
      </div>
    );
  }
  return (
    <div data-testid="run-progress">
      <div className="mb-1.5 flex items-baseline justify-between text-sm">
        <span className="font-medium text-slate-700" data-testid="run-phase">
          {p.phase ?? (state === "queued" ? "waiting for the runner" : state)}
        </span>
        <span className="tabular-nums text-slate-500">{f !== null ? `${Math.round(f * 100)}%` : ""}</span>
      </div>
      <ProgressBar value={state === "queued" ? 0 : state === "running" && f === null ? null : f} tone={tone} label="run progress" />
      {p.detail && <div className="mt-1 truncate text-xs text-slate-500">{p.detail}</div>}
      <div className="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-5">
        <Stat
          label={state === "succeeded" ? "Data written" : "Data"}
          value={p.bytesDone !== undefined ? `${formatBytes(p.bytesDone)}${p.bytesTotal ? ` / ${finished ? "" : "~"}${formatBytes(p.bytesTotal)}` : ""}` : "—"}
          title={finished ? undefined : "The total is an estimate from information_schema; the finished run shows what was written."}
        />
        <Stat label="Rows" value={p.rowsDone !== undefined ? `${p.rowsDone.toLocaleString()}${p.rowsTotal ? ` / ${p.rowsTotal.toLocaleString()}` : ""}` : "—"} />
        <Stat label="Tables" value={p.tablesDone !== undefined ? `${p.tablesDone}${p.tablesTotal ? ` / ${p.tablesTotal}` : ""}` : "—"} />
        {finished && p.averageRate ? (
          <Stat label="Throughput (average)" value={`${formatBytes(p.averageRate)}/s`} />
        ) : (
          <Stat label="Throughput" value={state === "running" && p.rate ? `${formatBytes(p.rate)}/s` : "—"} />
        )}
        {finished ? (
          <Stat label="Finished" value={state === "succeeded" ? "all done" : state} />
        ) : (
          <Stat label="ETA" value={state === "running" && p.etaSeconds !== undefined ? formatDuration(p.etaSeconds * 1000) : "—"} />
        )}
      </div>
    </div>
  );
}
