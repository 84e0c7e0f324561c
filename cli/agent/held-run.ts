import type { ClaimResponse, FinishReport, ProgressReport } from "../../server/agents/agent-runs";
import { errorMessage, isDomainError } from "../../server/errors";
import { ProgressTracker } from "../../server/runner/progress-tracker";
import type { LogLevel, WorkContext } from "../../server/work-context";
import { AgentApiError, type AgentCall } from "./client";

/** The run was cancelled from the dashboard. */
export class Cancelled extends Error {
  constructor() {
    super("cancelled by request");
  }
}
/** A newer claim (or a recovery) holds the run: this holder's fence is refused. */
export class Fenced extends Error {}

/** Answers of the agent API that mean "this holder may not go on". */
const REFUSED = new Set([401, 403, 404, 409]);
export const isRefusal = (e: unknown) => e instanceof AgentApiError && REFUSED.has(e.status);

/** How a held run's work ended when it threw. */
export type HeldFailure = { kind: "fenced"; message: string } | { kind: "cancelled" | "interrupted" | "failed"; message: string; retryable: boolean };

/**
 * One claimed run on this agent: a work context whose progress and log go to the dashboard once a
 * second with the run's fence (renewing its lease), and whose signal aborts when the dashboard asks
 * for cancellation, refuses the fence, or the agent stops. Every executor (backup, verify, restore,
 * ...) shares it, so all report, cancel and fail the same way.
 */
export function holdRun(call: AgentCall, claim: Pick<ClaimResponse, "runId" | "fence">, stopping: AbortSignal) {
  const ac = new AbortController();
  const onStop = () => ac.abort(new Error("the agent is stopping (SIGTERM)"));
  stopping.addEventListener("abort", onStop, { once: true });
  const tracker = new ProgressTracker();
  const began = Date.now();
  const pending: { level: LogLevel; message: string }[] = [];

  /** Sends progress and log lines. Strict: a refusal (or an unreachable dashboard) throws instead of only aborting. */
  const report = async (strict = false) => {
    const logs = pending.splice(0, 500);
    const body: ProgressReport = { fence: claim.fence, logs, ...(tracker.dirty ? { progress: tracker.snapshot() } : {}) };
    try {
      const r = await call<{ cancel: boolean }>(`runs/${claim.runId}/progress`, body);
      if (r.cancel && !ac.signal.aborted) ac.abort(new Cancelled());
    } catch (e) {
      if (isRefusal(e)) {
        if (!ac.signal.aborted) ac.abort(new Fenced((e as Error).message));
        if (strict) throw new Fenced((e as Error).message);
        return;
      }
      pending.unshift(...logs); // the dashboard is unreachable for a moment: send them with the next report
      if (strict) throw e;
    }
  };
  const heart = setInterval(() => void report(), 1000);

  const ctx: WorkContext = {
    signal: ac.signal,
    progress: (p) => tracker.update(p),
    log: (level, message) => {
      if (pending.length < 5000) pending.push({ level, message });
    },
  };

  /** Classifies an error thrown by the work, by what aborted it first. */
  const failure = (e: unknown): HeldFailure => {
    const reason = ac.signal.aborted ? ac.signal.reason : e;
    if (reason instanceof Fenced || e instanceof Fenced) return { kind: "fenced", message: errorMessage(reason instanceof Fenced ? reason : e) };
    if (reason instanceof Cancelled) return { kind: "cancelled", message: "Cancelled by request.", retryable: false };
    if (stopping.aborted) return { kind: "interrupted", message: `Interrupted: ${errorMessage(reason)}.`, retryable: true };
    return { kind: "failed", message: errorMessage(e), retryable: isDomainError(e) && !!e.retryable };
  };

  return {
    ctx,
    tracker,
    began,
    report,
    failure,
    /** Sends the final report; a refusal means another holder took over (Fenced). */
    async finish(fin: FinishReport) {
      try {
        return await call(`runs/${claim.runId}/finish`, fin);
      } catch (e) {
        throw isRefusal(e) ? new Fenced((e as Error).message) : e;
      }
    },
    /** Reports a failed, cancelled or interrupted attempt (best effort: the lease's end recovers it otherwise). */
    async reportFailure(f: Exclude<HeldFailure, { kind: "fenced" }>, say: (m: string) => void) {
      await report().catch(() => undefined);
      const fin: FinishReport = { fence: claim.fence, outcome: f.kind === "cancelled" ? "cancelled" : "failed", error: f.message, retryable: f.retryable, progress: tracker.snapshot() };
      await call(`runs/${claim.runId}/finish`, fin).catch((fe) => say(`run ${claim.runId}: could not report the failure (${errorMessage(fe)}); the dashboard recovers it when its lease ends`));
      return f.kind === "cancelled" ? "cancelled" : "failed";
    },
    /** Stops the once-a-second reporting (idempotent); call when the work is over, success or not. */
    release() {
      clearInterval(heart);
      stopping.removeEventListener("abort", onStop);
    },
  };
}
export type HeldRun = ReturnType<typeof holdRun>;
