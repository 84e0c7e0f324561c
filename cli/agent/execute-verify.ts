import type { ClaimResponse, FinishReport, ProgressReport, VerifyJobPayload } from "../../server/agents/agent-runs";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { errorMessage } from "../../server/errors";
import { openChain } from "../../server/restore/physical/open-chain";
import { ProgressTracker } from "../../server/runner/progress-tracker";
import { storeFromSpec } from "../../server/storage/open-store";
import { verifyOpenedSet } from "../../server/verify/verify-set";
import type { LogLevel, WorkContext } from "../../server/work-context";
import { AgentApiError, type AgentCall } from "./client";

const REFUSED = new Set([401, 403, 404, 409]);

/**
 * Executes one claimed verification on this machine with the same checks as the embedded run: the
 * set (and its chain) read from the target, every object decrypted and decompressed, restored into a
 * sandbox server this agent starts in a temporary directory, and the check list reported with the
 * run's fence. The server records it; nothing is written to the target.
 */
export async function executeVerifyJob(call: AgentCall, claim: ClaimResponse, job: VerifyJobPayload, say: (m: string) => void, stopping: AbortSignal): Promise<string> {
  const ac = new AbortController();
  const onStop = () => ac.abort(new Error("the agent is stopping (SIGTERM)"));
  stopping.addEventListener("abort", onStop, { once: true });
  const tracker = new ProgressTracker();
  const pending: { level: LogLevel; message: string }[] = [];
  let refused: string | null = null;
  let cancelled = false;
  const report = async () => {
    const logs = pending.splice(0, 500);
    const body: ProgressReport = { fence: claim.fence, logs, ...(tracker.dirty ? { progress: tracker.snapshot() } : {}) };
    try {
      const r = await call<{ cancel: boolean }>(`runs/${claim.runId}/progress`, body);
      if (r.cancel && !ac.signal.aborted) {
        cancelled = true;
        ac.abort(new Error("cancelled by request"));
      }
    } catch (e) {
      if (e instanceof AgentApiError && REFUSED.has(e.status)) {
        refused = e.message;
        if (!ac.signal.aborted) ac.abort(new Error(e.message));
        return;
      }
      pending.unshift(...logs);
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
  const store = storeFromSpec(job.target);
  const key = (hex: string | null) => (hex ? Buffer.from(hex, "hex") : null);
  const [self, ...ancestors] = job.links;
  const open = async () => {
    const reader = await BackupSetReader.open(store, self!.location, key(self!.encryptionKey));
    if (ancestors.length)
      await openChain(reader, async (p) => {
        const link = ancestors.find((l) => l.id === p.id);
        if (!link) throw new Error(`backup ${p.id} is not in the catalog any more`);
        return BackupSetReader.open(store, link.location, key(link.encryptionKey));
      });
    return reader;
  };
  try {
    const result = await verifyOpenedSet(ctx, open, { manifestSha256: job.manifestSha256, objectsOnly: job.objectsOnly });
    clearInterval(heart);
    ctx.log("info", `Verified on the agent in ${(result.durationMs / 1000).toFixed(1)} s, reading from ${store.describe(self!.location)}.`);
    await report();
    if (refused) throw new AgentApiError(409, refused);
    const fin: FinishReport = { fence: claim.fence, outcome: "verified", checks: result.checks, durationMs: result.durationMs, restoreMs: result.restoreMs, progress: tracker.snapshot() };
    await call(`runs/${claim.runId}/finish`, fin);
    return result.passed ? "verified" : "verification failed";
  } catch (e) {
    clearInterval(heart);
    if (refused) {
      say(`run ${claim.runId}: fence ${claim.fence} refused (${refused})`);
      return "fenced";
    }
    const message = cancelled ? "Cancelled by request." : stopping.aborted ? `Interrupted: ${errorMessage(ac.signal.reason)}.` : errorMessage(e);
    await report().catch(() => undefined);
    const fin: FinishReport = { fence: claim.fence, outcome: cancelled ? "cancelled" : "failed", error: message, retryable: !cancelled && stopping.aborted, progress: tracker.snapshot() };
    await call(`runs/${claim.runId}/finish`, fin).catch((fe) => say(`run ${claim.runId}: could not report the failure (${errorMessage(fe)}); the dashboard recovers it when its lease ends`));
    return cancelled ? "cancelled" : "failed";
  } finally {
    stopping.removeEventListener("abort", onStop);
  }
}
