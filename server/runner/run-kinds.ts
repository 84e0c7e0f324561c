import type { Run } from "../db/generated/client";
import type { Progress, LogLevel } from "../work-context";

/** What a run's executor gets: its row, its params, cancellation, progress and log. */
export type RunContext<P = Record<string, unknown>> = {
  run: Run;
  params: P;
  signal: AbortSignal;
  progress(p: Partial<Progress>): void;
  log(level: LogLevel, message: string): void;
  /**
   * Persists where partial work lives (e.g. { targetId, prefix }) before creating it, so that a crash
   * recovery can remove it. Stored on the run.
   */
  workspace(w: Record<string, unknown>): Promise<void>;
};

export type RunKind<P = Record<string, unknown>> = {
  kind: string;
  /** Runs with the same group share the per-host limit; "archive" runs (long-lived) have their own. */
  group?: "work" | "archive";
  execute(ctx: RunContext<P>): Promise<Record<string, unknown> | void>;
  /**
   * After a crash (lease expired while running): remove partial work described by the run's
   * workspace. Must be idempotent. Returns "done" when the work had actually completed (e.g. the
   * backup row exists), so the run is marked succeeded instead of retried.
   */
  recover?(run: Run, workspace: Record<string, unknown>): Promise<"cleaned" | "done">;
};

const kinds = new Map<string, RunKind<never>>();

export function registerRunKind<P>(k: RunKind<P>) {
  kinds.set(k.kind, k as RunKind<never>);
}

export function runKind(kind: string): RunKind<Record<string, unknown>> | undefined {
  return kinds.get(kind) as RunKind<Record<string, unknown>> | undefined;
}
