import { checkAgentsOffline } from "./agents/offline";
import { startAgentDispatch } from "./agents/queue";
import { masterKey } from "./catalog-secrets/key";
import { registerBuiltins } from "./composition-root";
import { db } from "./db/client";
import { errorMessage } from "./errors";
import { logger } from "./logging/logger";
import { notifyRunFinished } from "./notify/on-run-finished";
import { checkStalePolicies } from "./notify/stale";
import { startScheduler } from "./policies/scheduler";
import { embeddedRunner } from "./runner/embedded";
import { enqueueRun } from "./runner/enqueue-run";
import { runEvents } from "./runner/run-events";
import { seedAdminFromEnv } from "./users/setup";

// The server process: startServerServices() is called once at start (instrumentation.ts).

const g = globalThis as { __dbbackupStarted?: boolean };

/** Catalog migrations, the secret key, the env-seeded admin, then the background services. */
export async function startServerServices() {
  if (g.__dbbackupStarted) return;
  g.__dbbackupStarted = true;
  registerBuiltins();
  masterKey();
  await db().user.count();
  if (await seedAdminFromEnv()) logger.info({ email: process.env.DBBACKUP_ADMIN_EMAIL }, "created the first admin from DBBACKUP_ADMIN_EMAIL");
  if (process.env.DBBACKUP_RUNNER !== "off") {
    startBackgroundServices();
    const runner = embeddedRunner();
    logger.info({ runner: runner.id }, "embedded runner and scheduler started");
    const stop = () => void runner.stop().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  }
}

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
  // runner agents: runs of hosts bound to an agent go to its BullMQ queue (only with DBBACKUP_REDIS_URL)
  if (startAgentDispatch()) logger.info("runner agents: runs of agent-bound hosts are queued on Redis (DBBACKUP_REDIS_URL)");
  const agentTimer = setInterval(() => void checkAgentsOffline().catch((e) => logger.warn({ err: errorMessage(e) }, "agent offline check failed")), 10_000);
  agentTimer.unref();
  embeddedRunner().start();
  startScheduler();
  const staleTimer = setInterval(() => void checkStalePolicies().catch((e) => logger.warn({ err: errorMessage(e) }, "stale check failed")), 60_000);
  staleTimer.unref();
}
