import { db } from "../db/client";
import { errorMessage } from "../errors";
import { logger } from "../logging/logger";
import { openStore } from "./open-store";

/**
 * Removes everything under a prefix of a target; if the store cannot be reached now, records a
 * cleanup task that the supervisor retries, so partial work never outlives an outage.
 * Returns true when the prefix is gone now.
 */
export async function removePrefixOrDefer(targetId: string, prefix: string, reason: string): Promise<boolean> {
  const target = await db().storageTarget.findUnique({ where: { id: targetId } });
  if (!target) return true;
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

/** One sweep of deferred cleanups. */
export async function sweepCleanupTasks() {
  const tasks = await db().cleanupTask.findMany({ orderBy: { createdAt: "asc" }, take: 50 });
  let done = 0;
  for (const t of tasks) {
    if (await removePrefixOrDefer(t.targetId, t.prefix, t.reason)) {
      done++;
      logger.info({ target: t.targetId, prefix: t.prefix }, "removed partial objects left by an earlier failure");
    }
  }
  return { done, pending: tasks.length - done };
}
