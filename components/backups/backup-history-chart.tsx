"use client";
import { fitRange, labelAnchor, timeTicks } from "@/components/charts/time-ticks";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { trpc } from "@/lib/trpc";
import { formatBytes, formatDuration } from "@/server/util/format";

export type HistoryBackup = { id: string; startedAt: Date | string; finishedAt: Date | string; sizeBytes: number; verifyState?: string };
export type HistoryFailure = { id: string; at: Date | string; error: string | null };

const W = 720;
const H = 170;
const PAD = { l: 10, r: 10, t: 12, b: 26 };

/**
 * Size (bars) and duration (line) of each backup on a time axis, failed backup runs as red marks
 * under the axis. Plain SVG, the same look as the other charts.
 */
export function BackupHistorySvg({ backups, failures }: { backups: HistoryBackup[]; failures: HistoryFailure[] }) {
  const pts = [...backups].sort((a, b) => +new Date(a.finishedAt) - +new Date(b.finishedAt));
  const fails = failures.map((f) => ({ ...f, t: +new Date(f.at) }));
  const times = [...pts.map((p) => +new Date(p.finishedAt)), ...fails.map((f) => f.t)];
  const [t0, t1] = fitRange(times, { pad: 0.05, minSpan: 10 * 60_000 });
  const ih = H - PAD.t - PAD.b;
  const x = (t: number) => PAD.l + ((t - t0) / (t1 - t0)) * (W - PAD.l - PAD.r);
  const maxSize = Math.max(1, ...pts.map((p) => p.sizeBytes));
  const durs = pts.map((p) => Math.max(0, +new Date(p.finishedAt) - +new Date(p.startedAt)));
  const maxDur = Math.max(1, ...durs);
  const bw = Math.max(4, Math.min(24, ((W - PAD.l - PAD.r) / Math.max(1, pts.length)) * 0.6));
  const line = pts.map((p, i) => `${x(+new Date(p.finishedAt))},${PAD.t + ih - (durs[i]! / maxDur) * ih}`).join(" ");
  const axisY = PAD.t + ih;
  return (
    <figure data-testid="backup-history-chart">
      <svg viewBox={`0 0 ${W} ${H}`} className="h-auto w-full" role="img" aria-label="Backup size and duration over time, failed runs marked">
        <line x1={PAD.l} x2={W - PAD.r} y1={axisY} y2={axisY} className="stroke-slate-300" />
        {timeTicks(t0, t1, { max: 6 }).map((k) => {
          const a = labelAnchor(x(k.t), PAD.l, W - PAD.r, 40);
          return (
            <g key={k.t}>
              <line x1={x(k.t)} x2={x(k.t)} y1={axisY} y2={axisY + 4} className="stroke-slate-300" />
              <text x={a.x} y={H - 6} textAnchor={a.anchor} className="fill-slate-400 text-[10px]">
                {k.label}
              </text>
            </g>
          );
        })}
        {pts.map((p, i) => {
          const h = Math.max(2, (p.sizeBytes / maxSize) * ih);
          const cx = x(+new Date(p.finishedAt));
          return (
            <rect key={p.id} data-testid="history-backup" x={cx - bw / 2} y={axisY - h} width={bw} height={h} rx={2} className={p.verifyState === "failed" ? "fill-red-400" : "fill-brand-500/70"}>
              <title>{`${new Date(p.finishedAt).toLocaleString()}: ${formatBytes(p.sizeBytes)} stored, backup took ${formatDuration(durs[i]!)}${p.verifyState === "failed" ? "; verification failed" : ""}`}</title>
            </rect>
          );
        })}
        {pts.length > 1 && <polyline points={line} fill="none" strokeWidth={2} className="stroke-amber-500" />}
        {pts.map((p, i) => (
          <circle key={`d${p.id}`} cx={x(+new Date(p.finishedAt))} cy={PAD.t + ih - (durs[i]! / maxDur) * ih} r={3} className="fill-amber-500" />
        ))}
        {fails.map((f) => (
          <g key={f.id} data-testid="history-failure">
            <line x1={x(f.t)} x2={x(f.t)} y1={PAD.t} y2={axisY} className="stroke-red-300" strokeDasharray="3 3" />
            <path d={`M ${x(f.t)} ${axisY - 2} l 6 -10 l -12 0 z`} className="fill-red-600" />
            <title>{`Failed ${new Date(f.at).toLocaleString()}${f.error ? `: ${f.error}` : ""}`}</title>
          </g>
        ))}
      </svg>
      <figcaption className="flex flex-wrap gap-4 text-xs text-slate-500">
        <span>
          <span className="mr-1 inline-block h-2 w-3 rounded-sm bg-brand-500/70" />
          size stored (max {formatBytes(maxSize)})
        </span>
        <span>
          <span className="mr-1 inline-block h-0.5 w-3 bg-amber-500 align-middle" />
          duration (max {formatDuration(maxDur)})
        </span>
        <span>
          <span className="mr-1 inline-block h-0 w-0 border-x-[5px] border-t-[8px] border-x-transparent border-t-red-600 align-middle" />
          failed run{fails.length === 1 ? "" : "s"} ({fails.length})
        </span>
      </figcaption>
    </figure>
  );
}

/** The card on the host and policy pages: the last backups and failed backup runs from the catalog. */
export function BackupHistoryCard({ hostId, policyId }: { hostId?: string; policyId?: string }) {
  const scope = hostId ? { hostId } : { policyId };
  const backups = trpc.backups.list.useQuery({ ...scope, limit: 60 });
  const failed = trpc.runs.list.useQuery({ ...scope, kind: ["backup"], state: ["failed"], limit: 60 });
  const items = backups.data?.items ?? [];
  const fails = (failed.data?.items ?? []).map((r) => ({ id: r.id, at: r.finishedAt ?? r.queuedAt, error: r.error }));
  const loading = backups.isLoading || failed.isLoading;
  return (
    <Card>
      <CardHeader title="Backup size and duration over time" description={hostId ? "Every backup of this host, failed runs marked." : "Every backup of this policy, failed runs marked."} />
      <CardBody>
        {loading ? (
          <p className="text-sm text-slate-500">Loading…</p>
        ) : items.length === 0 && fails.length === 0 ? (
          <EmptyState title="No backups yet">The chart fills in as backups finish: one bar per backup (its size), a line for how long each took, and a red mark for each failed run.</EmptyState>
        ) : (
          <BackupHistorySvg backups={items} failures={fails} />
        )}
      </CardBody>
    </Card>
  );
}
