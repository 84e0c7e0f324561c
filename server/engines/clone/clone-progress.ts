import type { WorkContext } from "../../work-context";
import type { SqlSession } from "./sql-session";

export const PROGRESS_SQL = "SELECT STAGE, STATE, ESTIMATE, DATA, NETWORK FROM performance_schema.clone_progress ORDER BY ID";

type Row = { STAGE: string; STATE: string; ESTIMATE: string | number | null; DATA: string | number | null; NETWORK: string | number | null };
export type CloneProgress = { stage: string; estimate: number; data: number; network: number; stagesDone: number; stages: number };

/** Sums performance_schema.clone_progress: bytes estimated and copied over all stages, and the current stage. */
export function summarize(rows: Row[]): CloneProgress | null {
  if (!rows.length) return null;
  const n = (v: string | number | null) => Number(v ?? 0) || 0;
  const current = rows.find((r) => r.STATE === "In Progress") ?? [...rows].reverse().find((r) => r.STATE === "Completed") ?? rows[0]!;
  return {
    stage: current.STAGE,
    estimate: rows.reduce((s, r) => s + n(r.ESTIMATE), 0),
    data: rows.reduce((s, r) => s + n(r.DATA), 0),
    network: rows.reduce((s, r) => s + n(r.NETWORK), 0),
    stagesDone: rows.filter((r) => r.STATE === "Completed").length,
    stages: rows.length,
  };
}

/**
 * Polls clone_progress on its own connection while CLONE runs and reports it live: stage, bytes
 * estimated and copied. Polling errors are ignored (the clone itself reports real failures).
 */
export function pollCloneProgress(ctx: WorkContext, monitor: SqlSession, intervalMs: number) {
  let stopped = false;
  let last: CloneProgress | null = null;
  let wake: (() => void) | null = null;
  const loop = (async () => {
    while (!stopped) {
      try {
        const p = summarize(await monitor.rows<Row>(PROGRESS_SQL));
        if (p && !stopped) {
          last = p;
          ctx.progress({ phase: `clone: ${p.stage.toLowerCase()}`, bytesDone: p.data, bytesTotal: p.estimate || undefined, detail: `stage ${Math.min(p.stagesDone + 1, p.stages)} of ${p.stages} (${p.stage})` });
        }
      } catch {
        // the next poll or the clone's own result says what is wrong
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, intervalMs).unref();
      });
    }
  })();
  return {
    get last() {
      return last;
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      return last;
    },
  };
}
