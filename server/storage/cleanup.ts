import { db } from "../db/client";
import { errorMessage } from "../errors";
import { logger } from "../logging/logger";
import { appendRunLog } from "../runner/run-log";
import { openStore } from "./open-store";

/**
 * Removes everything under a prefix of a target; if the store cannot be reached now, records a
 * cleanup task that the supervisor retries, so partial work never outlives an outage.
 * Returns true when the prefix is gone now, or when it was handed to the agent that wrote it:
 * objects a runner agent wrote to a local-path target are on that agent's machine, where this
 * process cannot reach (the same path here is another directory), so the task is queued for that
 * agent, which gets it with its next heartbeat, removes the prefix and acknowledges it.
 */
export async function removePrefixOrDefer(targetId: string, prefix: string, reason: string, o: { agentId?: string | null; runId?: string } = {}): Promise<boolean> {
  const target = await db().storageTarget.findUnique({ where: { id: targetId } });
  if (!target) return true;
  if (o.agentId && target.kind === "local") {
    await db().cleanupTask.upsert({
      where: { targetId_prefix: { targetId, prefix } },
      update: { agentId: o.agentId, reason },
      create: { targetId, prefix, reason, agentId: o.agentId },
    });
    const agent = await db().agent.findUnique({ where: { id: o.agentId }, select: { name: true } });
    if (o.runId) await appendRunLog(o.runId, "info", `The objects under ${prefix} are on agent ${agent?.name ?? o.agentId}'s local path ${target.path}: queued for that agent to remove (delivered with its next heartbeat).`).catch(() => undefined);
    return true;
  }
  try {
    await openStore(target).deletePrefix(prefix);
    await db().cleanupTask.deleteMany({ where: { targetId, prefix } });
    return true;
  } catch (e) {
    await db().cleanupTask.upsert({
      where: { targetId_prefix: { targetId, prefix } },
      update: { attempts: { increment: 1 }, lastError: errorMessage(e) },
      create: { targetId, prefix, reason, attempts: 1, lastError: errorMessage(e) },
    });
    return false;
  }
}

/** One sweep of deferred cleanups (the ones queued for an agent are that agent's to do). */
export async function sweepCleanupTasks() {
  const tasks = await db().cleanupTask.findMany({ where: { agentId: null }, orderBy: { createdAt: "asc" }, take: 50 });
  let done = 0;
  for (const t of tasks) {
    if (await removePrefixOrDefer(t.targetId, t.prefix, t.reason)) {
      done++;
      logger.info({ target: t.targetId, prefix: t.prefix }, "removed partial objects left by an earlier failure");
    }
  }
  return { done, pending: tasks.length - done };
}
