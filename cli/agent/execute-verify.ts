import type { ClaimResponse, VerifyJobPayload } from "../../server/agents/agent-runs";
import { storeFromSpec } from "../../server/storage/open-store";
import { verifyOpenedSet } from "../../server/verify/verify-set";
import type { AgentCall } from "./client";
import { Fenced, holdRun } from "./held-run";
import { openJobSet } from "./open-set";

/**
 * Executes one claimed verification on this machine with the same checks as the embedded run: the
 * set (and its chain) read from the target, every object decrypted and decompressed, restored into a
 * sandbox server this agent starts in a temporary directory, and the check list reported with the
 * run's fence. The server records it; nothing is written to the target.
 */
export async function executeVerifyJob(call: AgentCall, claim: ClaimResponse, job: VerifyJobPayload, say: (m: string) => void, stopping: AbortSignal): Promise<string> {
  const held = holdRun(call, claim, stopping);
  const { ctx, tracker } = held;
  const store = storeFromSpec(job.target);
  try {
    const result = await verifyOpenedSet(ctx, () => openJobSet(store, job.links), { manifestSha256: job.manifestSha256, objectsOnly: job.objectsOnly });
    held.release();
    ctx.log("info", `Verified on the agent in ${(result.durationMs / 1000).toFixed(1)} s, reading from ${store.describe(job.links[0]!.location)}.`);
    await held.report();
    if (ctx.signal.reason instanceof Fenced) throw ctx.signal.reason; // taken over while finishing: report nothing
    await held.finish({ fence: claim.fence, outcome: "verified", checks: result.checks, durationMs: result.durationMs, restoreMs: result.restoreMs, progress: tracker.snapshot() });
    return result.passed ? "verified" : "verification failed";
  } catch (e) {
    held.release();
    const f = held.failure(e);
    if (f.kind === "fenced") {
      say(`run ${claim.runId}: fence ${claim.fence} refused (${f.message})`);
      return "fenced";
    }
    return held.reportFailure(f, say);
  } finally {
    held.release();
  }
}
