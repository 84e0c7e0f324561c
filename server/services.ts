import { errorMessage } from "./errors";
import { logger } from "./logging/logger";
import { notifyRunFinished } from "./notify/on-run-finished";
import { checkStalePolicies } from "./notify/stale";
import { startScheduler } from "./policies/scheduler";
import { enqueueRun } from "./runs/enqueue-run";
import { embeddedRunner } from "./runner/embedded";
import { runEvents } from "./runner/run-events";

let started = false;

/**
 * The background services of a server process: the embedded runner, the scheduler (with the stale
 * check), notifications and post-backup pruning.
 */
export function startBackgroundServices() {
  if (started) return;
  started = true;
  runEvents.on("finished", (run) => {
    void notifyRunFinished(run).catch((e) => logger.warn({ run: run.id, err: errorMessage(e) }, "notification failed"));
    // a policy's successful backup is followed by its retention pruning
    if (run.kind === "backup" && run.state === "succeeded" && run.policyId) {
      void enqueueRun({ kind: "prune", hostId: run.hostId, policyId: run.policyId, params: { policyId: run.policyId }, idempotencyKey: `prune-after:${run.id}`, maxAttempts: 1 }).catch((e) =>
        logger.warn({ run: run.id, err: errorMessage(e) }, "could not queue pruning"),
      );
    }
  });
  embeddedRunner().start();
  startScheduler();
  const staleTimer = setInterval(() => void checkStalePolicies().catch((e) => logger.warn({ err: errorMessage(e) }, "stale check failed")), 60_000);
  staleTimer.unref();
}
