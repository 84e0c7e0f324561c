/**
 * Tick marks for a time axis: a "nice" step for the zoom level (seconds, minutes, hours or days),
 * ticks on whole multiples of it, and labels that are distinct for that step (seconds shown when
 * the step is under a minute, the date shown when the range spans more than one day).
 * Pure, so the chart components and their unit test share it.
 */

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** Candidate steps, smallest first. */
export const TICK_STEPS = [1 * S, 2 * S, 5 * S, 10 * S, 15 * S, 30 * S, 1 * M, 2 * M, 5 * M, 10 * M, 15 * M, 30 * M, 1 * H, 2 * H, 3 * H, 6 * H, 12 * H, 1 * D, 2 * D, 7 * D, 14 * D, 30 * D];

export type Tick = { t: number; label: string };

export type TickOptions = {
  /** at most this many ticks (default 7) */
  max?: number;
  /** the zone offset in minutes, as Date.getTimezoneOffset(); injected so tests do not depend on the machine */
  tzOffsetMinutes?: number;
  /** formatting; defaults to the browser's locale */
  locale?: string;
  timeZone?: string;
};

/** The smallest step that gives at most `max` ticks over the range. */
export function tickStep(t0: number, t1: number, max = 7): number {
  const span = Math.max(1, t1 - t0);
  return TICK_STEPS.find((s) => span / s <= max) ?? Math.ceil(span / max / D) * D;
}

/** Ticks strictly inside [t0, t1], aligned on whole steps in local time (days start at local midnight). */
export function timeTicks(t0: number, t1: number, opts: TickOptions = {}): Tick[] {
  const max = opts.max ?? 7;
  const step = tickStep(t0, t1, max);
  const offset = (opts.tzOffsetMinutes ?? new Date(t0).getTimezoneOffset()) * M;
  // align in local time: shift to local, round up to the step, shift back
  const first = Math.ceil((t0 - offset) / step) * step + offset;
  const spansDays = t1 - t0 > D || new Date(t0 - offset).getUTCDate() !== new Date(t1 - offset).getUTCDate();
  const fmt = labelFormat(step, spansDays, opts);
  const ticks: Tick[] = [];
  for (let t = first; t <= t1; t += step) ticks.push({ t, label: fmt.format(new Date(t)) });
  // labels must differ; when a locale's format still collides (e.g. DST), keep the first of each
  const seen = new Set<string>();
  return ticks.filter((k) => (seen.has(k.label) ? false : (seen.add(k.label), true)));
}

function labelFormat(step: number, spansDays: boolean, opts: TickOptions): Intl.DateTimeFormat {
  const base: Intl.DateTimeFormatOptions = opts.timeZone ? { timeZone: opts.timeZone } : {};
  if (step >= D) return new Intl.DateTimeFormat(opts.locale, { ...base, month: "short", day: "numeric" });
  const time: Intl.DateTimeFormatOptions = { hour: "numeric", minute: "2-digit", ...(step < M ? { second: "2-digit" } : {}) };
  return new Intl.DateTimeFormat(opts.locale, { ...base, ...time, ...(spansDays ? { month: "short", day: "numeric" } : {}) });
}

/**
 * Where to anchor a label at x so it stays inside [left, right]: labels near an edge are drawn
 * from that edge inwards instead of centred on the tick.
 */
export function labelAnchor(x: number, left: number, right: number, halfWidth = 40): { x: number; anchor: "start" | "middle" | "end" } {
  if (x - halfWidth < left) return { x: Math.max(left, x), anchor: "start" };
  if (x + halfWidth > right) return { x: Math.min(right, x), anchor: "end" };
  return { x, anchor: "middle" };
}

/** The default view: the data's own range with some padding on each side, at least `minSpan` wide. */
export function fitRange(times: number[], opts: { pad?: number; minSpan?: number } = {}): [number, number] {
  const pad = opts.pad ?? 0.06;
  const minSpan = opts.minSpan ?? 30 * S;
  const lo = Math.min(...times);
  const hi = Math.max(...times);
  const mid = (lo + hi) / 2;
  const span = Math.max(minSpan, hi - lo);
  const a = Math.min(lo, mid - span / 2);
  const b = Math.max(hi, mid + span / 2);
  return [a - span * pad, b + span * pad];
}
