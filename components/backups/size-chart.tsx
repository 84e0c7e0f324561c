import { formatBytes, formatDuration } from "@/server/util/format";

type Point = { id: string; finishedAt: Date | string; startedAt: Date | string; sizeBytes: number; verifyState?: string };

/** Backup size (bars) and duration (line) over time, oldest left. Plain SVG, no chart library. */
export function SizeChart({ backups, height = 140 }: { backups: Point[]; height?: number }) {
  const pts = [...backups].sort((a, b) => new Date(a.finishedAt).getTime() - new Date(b.finishedAt).getTime()).slice(-40);
  if (pts.length < 2) return null;
  const width = 720;
  const pad = { l: 8, r: 8, t: 10, b: 18 };
  const maxSize = Math.max(...pts.map((p) => p.sizeBytes), 1);
  const durs = pts.map((p) => new Date(p.finishedAt).getTime() - new Date(p.startedAt).getTime());
  const maxDur = Math.max(...durs, 1);
  const bw = (width - pad.l - pad.r) / pts.length;
  const ih = height - pad.t - pad.b;
  const line = pts
    .map((_, i) => `${pad.l + i * bw + bw / 2},${pad.t + ih - (durs[i]! / maxDur) * ih}`)
    .join(" ");
  return (
    <figure>
      <svg viewBox={`0 0 ${width} ${height}`} className="h-36 w-full" role="img" aria-label="Backup size and duration over time">
        {pts.map((p, i) => {
          const h = Math.max(1, (p.sizeBytes / maxSize) * ih);
          return (
            <rect key={p.id} x={pad.l + i * bw + 2} y={pad.t + ih - h} width={Math.max(2, bw - 4)} height={h} rx={2} className={p.verifyState === "failed" ? "fill-red-400" : "fill-brand-500/70"}>
              <title>{`${new Date(p.finishedAt).toLocaleString()}: ${formatBytes(p.sizeBytes)} in ${formatDuration(durs[i]!)}`}</title>
            </rect>
          );
        })}
        <polyline points={line} fill="none" strokeWidth={2} className="stroke-amber-500" />
        <text x={pad.l} y={height - 4} className="fill-slate-400 text-[10px]">
          {new Date(pts[0]!.finishedAt).toLocaleDateString()}
        </text>
        <text x={width - pad.r} y={height - 4} textAnchor="end" className="fill-slate-400 text-[10px]">
          {new Date(pts[pts.length - 1]!.finishedAt).toLocaleDateString()}
        </text>
      </svg>
      <figcaption className="flex gap-4 text-xs text-slate-500">
        <span>
          <span className="mr-1 inline-block h-2 w-3 rounded-sm bg-brand-500/70" />
          size (max {formatBytes(maxSize)})
        </span>
        <span>
          <span className="mr-1 inline-block h-0.5 w-3 bg-amber-500 align-middle" />
          duration (max {formatDuration(maxDur)})
        </span>
      </figcaption>
    </figure>
  );
}
