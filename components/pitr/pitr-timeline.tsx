"use client";
import { useMemo, useRef, useState } from "react";
import { fitRange, labelAnchor, timeTicks } from "@/components/charts/time-ticks";
import { cx } from "@/components/ui/cx";
import type { RouterOutputs } from "@/lib/trpc";
import { planPitr, type PitrPlan } from "@/server/pitr/plan";
import { formatBytes, formatDuration } from "@/server/util/format";
import { ChainMarks } from "./chain-marks";

type Timeline = RouterOutputs["pitr"]["timeline"];

const SPANS = [
  { key: "fit", label: "Fit", ms: 0 },
  { key: "1h", label: "1 h", ms: 3600_000 },
  { key: "24h", label: "24 h", ms: 86400_000 },
  { key: "7d", label: "7 days", ms: 7 * 86400_000 },
  { key: "30d", label: "30 days", ms: 30 * 86400_000 },
] as const;

/**
 * The point-in-time recovery timeline of one host: base backups (markers) and archived binlog
 * coverage (bars) on one time axis, gaps drawn as gaps with their cause, recoverable windows
 * shaded. Hovering shows what a restore to that moment would use; clicking picks it.
 */
export function PitrTimeline({ data, onPick, overlay }: { data: Timeline; onPick?: (t: Date) => void; overlay?: (x: (t: number | Date | string) => number, view: { t0: number; t1: number; bandY: number; bandH: number }) => React.ReactNode }) {
  const now = new Date(data.now);
  // the data's own extent: backups, archived events, and "now" while the archiver is streaming
  const dataTimes = [
    ...data.backups.map((b) => new Date(b.consistentAt).getTime()),
    ...data.ranges.flatMap((r) => [r.from, r.to].filter((t): t is NonNullable<typeof t> => !!t).map((t) => new Date(t).getTime())),
    ...(data.ranges.some((r) => r.live) || data.backups.length + data.ranges.length === 0 ? [now.getTime()] : []),
  ];
  const [spanKey, setSpanKey] = useState<(typeof SPANS)[number]["key"]>("fit");
  const span = SPANS.find((s) => s.key === spanKey)!;
  // "Fit" zooms to the data with some padding; the fixed spans end just after now
  const [t0, t1] = span.ms ? [now.getTime() - span.ms, now.getTime() + span.ms * 0.03] : fitRange(dataTimes);
  const W = 1000;
  const H = 150;
  const padL = 10;
  const padR = 10;
  const x = (t: number | Date | string) => padL + ((new Date(t).getTime() - t0) / (t1 - t0)) * (W - padL - padR);
  const clampX = (v: number) => Math.max(padL, Math.min(W - padR, v));
  const svgRef = useRef<SVGSVGElement>(null);
  const [hover, setHover] = useState<{ t: Date; px: number } | null>(null);

  const plan = useMemo((): { ok: true; plan: PitrPlan } | { ok: false; reason: string } | null => {
    if (!hover) return null;
    try {
      const segments = data.segments.map((s) => ({ ...s, firstEventAt: s.firstEventAt ? new Date(s.firstEventAt) : null, lastEventAt: s.lastEventAt ? new Date(s.lastEventAt) : null }));
      const backups = data.backups.map((b) => ({ ...b, consistentAt: new Date(b.consistentAt) }));
      return { ok: true, plan: planPitr({ target: { time: hover.t }, backups, segments }) };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }, [hover, data]);

  const ticks = useMemo(() => timeTicks(t0, t1).map((k) => ({ ...labelAnchor(x(k.t), padL, W - padR, 45), tickX: x(k.t), label: k.label })), [t0, t1]); // eslint-disable-line react-hooks/exhaustive-deps
  const nowInView = now.getTime() >= t0 && now.getTime() <= t1;

  const onMove = (e: React.MouseEvent<SVGSVGElement>) => {
    const rect = svgRef.current!.getBoundingClientRect();
    const px = ((e.clientX - rect.left) / rect.width) * W;
    const t = new Date(t0 + ((px - padL) / (W - padL - padR)) * (t1 - t0));
    if (t.getTime() > now.getTime()) return setHover(null);
    setHover({ t: new Date(Math.floor(t.getTime() / 1000) * 1000), px });
  };

  const BAND_Y = 62;
  const BAND_H = 26;
  return (
    <div>
      <div className="mb-2 flex items-center justify-between">
        <p className="text-sm text-slate-700" data-testid="recoverable-words">
          <span className="font-medium">Recoverable:</span> {data.words}
        </p>
        <div className="flex gap-1" role="group" aria-label="Time span">
          {SPANS.map((s) => (
            <button
              key={s.key}
              type="button"
              onClick={() => setSpanKey(s.key)}
              className={cx("rounded px-2 py-0.5 text-xs", s.key === spanKey ? "bg-slate-800 text-white" : "bg-slate-100 text-slate-600 hover:bg-slate-200")}
            >
              {s.label}
            </button>
          ))}
        </div>
      </div>
      <div className="relative">
        <svg
          ref={svgRef}
          viewBox={`0 0 ${W} ${H}`}
          className="h-40 w-full cursor-crosshair select-none"
          role="img"
          aria-label="Point-in-time recovery timeline"
          data-testid="pitr-timeline"
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
          onClick={() => hover && onPick?.(hover.t)}
        >
          <defs>
            <pattern id="gap-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
              <rect width="6" height="6" className="fill-red-50" />
              <line x1="0" y1="0" x2="0" y2="6" className="stroke-red-300" strokeWidth="3" />
            </pattern>
          </defs>
          {/* recoverable windows */}
          {data.windows.map((w, i) => (
            <rect key={`w${i}`} data-testid="recoverable-window" x={clampX(x(w.from))} y={30} width={Math.max(1, clampX(x(w.to)) - clampX(x(w.from)))} height={72} className="fill-emerald-50" />
          ))}
          {/* axis */}
          <line x1={padL} x2={W - padR} y1={112} y2={112} className="stroke-slate-300" />
          {ticks.map((t, i) => (
            <g key={i} data-testid="timeline-tick">
              <line x1={t.tickX} x2={t.tickX} y1={108} y2={116} className="stroke-slate-300" />
              <text x={t.x} y={130} textAnchor={t.anchor} className="fill-slate-500 text-[11px]">
                {t.label}
              </text>
            </g>
          ))}
          {/* binlog coverage */}
          <text x={padL} y={BAND_Y - 6} className="fill-slate-500 text-[10px]">
            archived binlogs
          </text>
          {data.ranges.map((r, i) =>
            r.from && r.to ? (
              <rect
                key={`r${i}`}
                data-testid="coverage-range"
                x={clampX(x(r.from))}
                y={BAND_Y}
                width={Math.max(2, clampX(x(r.to)) - clampX(x(r.from)))}
                height={BAND_H}
                rx={3}
                className={r.live ? "fill-emerald-500" : "fill-emerald-400"}
              >
                <title>{`${r.start.file}:${r.start.position} → ${r.end.file}:${r.end.position}\n${r.segments} segment(s), ${formatBytes(r.bytes)}${r.live ? "\nlive: the archiver is streaming" : ""}`}</title>
              </rect>
            ) : null,
          )}
          {data.ranges.some((r) => r.live) && nowInView && <circle cx={clampX(x(now))} cy={BAND_Y + BAND_H / 2} r={5} className="animate-pulse fill-emerald-600" />}
          {/* gaps */}
          {data.gaps.map((g, i) => {
            const from = g.after.at ? x(g.after.at) : padL;
            const to = g.before.at ? x(g.before.at) : x(now);
            return (
              <rect key={`g${i}`} data-testid="coverage-gap" x={clampX(from)} y={BAND_Y} width={Math.max(3, clampX(to) - clampX(from))} height={BAND_H} fill="url(#gap-hatch)" className="stroke-red-400">
                <title>{`Gap: ${g.cause}`}</title>
              </rect>
            );
          })}
          <ChainMarks backups={data.backups} notRestorable={data.notRestorable ?? []} x={x} inView={(px) => px >= padL && px <= W - padR} />
          {/* base backups */}
          <text x={padL} y={14} className="fill-slate-500 text-[10px]">
            base backups
          </text>
          {data.backups.map((b) => {
            const bx = x(b.consistentAt);
            if (bx < padL || bx > W - padR) return null;
            const tone = b.verifyState === "failed" ? "fill-red-500" : b.verifyState === "verified" ? "fill-emerald-600" : "fill-brand-600";
            return (
              <g key={b.id} data-testid="timeline-backup">
                <line x1={bx} x2={bx} y1={40} y2={BAND_Y + BAND_H} className="stroke-slate-500" strokeWidth={1.5} strokeDasharray="3 2" />
                <path d={`M ${bx} 16 l 12 12 l -12 12 l -12 -12 z`} className={cx(tone, "stroke-white", !b.covered && "opacity-60")} strokeWidth={2}>
                  <title>{`Backup ${b.id} (${b.engine}), consistent at ${new Date(b.consistentAt).toLocaleString()}${b.file ? `\n${b.file}:${b.position}` : ""}${b.gtid ? `\nGTID ${b.gtid}` : ""}\n${b.verifyState}${b.covered ? "" : "\nno archived binlogs connect to it"}`}</title>
                </path>
              </g>
            );
          })}
          {/* now */}
          {nowInView && (
            <>
              <line x1={x(now)} x2={x(now)} y1={24} y2={112} className="stroke-slate-500" strokeWidth={1} />
              <text x={x(now) - 3} y={24} textAnchor="end" className="fill-slate-500 text-[10px]">
                now
              </text>
            </>
          )}
          {/* markers drawn by the page (incidents) */}
          {overlay?.(x, { t0, t1, bandY: BAND_Y, bandH: BAND_H })}
          {hover && (
            <line x1={hover.px} x2={hover.px} y1={24} y2={112} className={plan?.ok ? "stroke-brand-600" : "stroke-red-500"} strokeWidth={1.5} />
          )}
        </svg>
        {hover && plan && (
          <div
            className="pointer-events-none absolute top-0 z-10 w-80 rounded-md bg-slate-900 px-3 py-2 text-xs text-slate-100 shadow-lg"
            style={{ left: `min(max(0px, calc(${(hover.px / W) * 100}% - 160px)), calc(100% - 20rem))`, transform: "translateY(-105%)" }}
            data-testid="timeline-tooltip"
          >
            <div className="font-medium">{hover.t.toLocaleString()}</div>
            {plan.ok ? (
              <div className="mt-1 text-slate-300">
                Restore backup <span className="font-mono">{plan.plan.backup.id}</span> (consistent {new Date(plan.plan.backup.consistentAt).toLocaleString()}), then replay {plan.plan.segments.length} segment(s),{" "}
                {formatBytes(plan.plan.bytesToReplay)} of binlogs (about {formatDuration(plan.plan.estimatedSeconds * 1000)}).
                {onPick && <div className="mt-1 text-emerald-300">Click to restore to this point…</div>}
              </div>
            ) : (
              <div className="mt-1 text-red-300">{plan.reason}</div>
            )}
          </div>
        )}
      </div>
      <div className="mt-1 flex flex-wrap gap-4 text-xs text-slate-500">
        <span>
          <span className="mr-1 inline-block h-3 w-3 rotate-45 bg-brand-600" /> base backup
        </span>
        <span>
          <span className="mr-1 inline-block h-2.5 w-4 rounded-sm bg-emerald-400" /> archived binlogs
        </span>
        <span>
          <span className="mr-1 inline-block h-2.5 w-4 rounded-sm border border-red-400 bg-red-100" /> gap
        </span>
        <span>
          <span className="mr-1 inline-block h-2.5 w-4 bg-emerald-50 ring-1 ring-emerald-100" /> recoverable window
        </span>
      </div>
    </div>
  );
}
