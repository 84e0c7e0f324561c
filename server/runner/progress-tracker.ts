import type { Progress } from "../work-context";

export type StoredProgress = Progress & {
  /** bytes/s over the last few seconds */
  rate?: number;
  /** seconds left, when a total is known */
  etaSeconds?: number;
  updatedAt: string;
  /** on a finished run: bytes/s over the whole run (rate is then this average) */
  averageRate?: number;
};

/**
 * Accumulates progress reports and computes throughput (over a sliding window) and ETA.
 * Engines may call `update` thousands of times a second; `snapshot` is what gets persisted.
 */
export class ProgressTracker {
  private current: Progress = { phase: "starting" };
  private samples: { t: number; bytes: number }[] = [];
  dirty = false;

  update(p: Partial<Progress>) {
    this.current = { ...this.current, ...p };
    this.dirty = true;
  }

  snapshot(now = Date.now()): StoredProgress {
    const bytes = this.current.bytesDone ?? 0;
    this.samples.push({ t: now, bytes });
    while (this.samples.length > 2 && now - this.samples[0]!.t > 5000) this.samples.shift();
    const first = this.samples[0]!;
    const dt = (now - first.t) / 1000;
    const rate = dt > 0.5 ? Math.max(0, (bytes - first.bytes) / dt) : undefined;
    const total = this.current.bytesTotal;
    const etaSeconds = rate && total && total > bytes ? Math.round((total - bytes) / rate) : undefined;
    this.dirty = false;
    return { ...this.current, rate, etaSeconds, updatedAt: new Date(now).toISOString() };
  }

  /** The final snapshot: average throughput since `startedAt`, no ETA. */
  final(startedAt: number, now = Date.now()): StoredProgress {
    const s = this.snapshot(now);
    // a run that succeeded did all of its work: estimated totals give way to what was done
    if (s.bytesDone !== undefined && s.bytesTotal !== undefined) s.bytesTotal = s.bytesDone;
    if (s.rowsDone !== undefined && s.rowsTotal !== undefined) s.rowsTotal = s.rowsDone;
    if (s.tablesDone !== undefined && s.tablesTotal !== undefined) s.tablesTotal = s.tablesDone;
    const secs = (now - startedAt) / 1000;
    const averageRate = s.bytesDone && secs > 0 ? Math.round(s.bytesDone / secs) : undefined;
    return { ...s, phase: "done", detail: undefined, etaSeconds: undefined, rate: averageRate, averageRate };
  }
}
