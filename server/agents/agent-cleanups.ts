import type { Agent } from "../db/generated/client";
import { db } from "../db/client";
import { DomainError } from "../errors";
import { logger } from "../logging/logger";
import type { TargetSpec } from "../storage/open-store";

// Partial objects that an agent wrote to a local path of its own machine (a dead or refused run's)
// are removed by that agent: the dashboard queues a CleanupTask with the agent's id (storage/cleanup.ts),
// the heartbeat answer carries the agent's pending ones, and the agent acknowledges each when the
// prefix is gone (POST cleanups/<id>/done).

export type AgentCleanup = { id: string; targetId: string; target: Pick<TargetSpec, "kind" | "path">; prefix: string; reason: string };

/** The cleanups queued for an agent (local-path targets only: their spec carries no secret). */
export async function pendingCleanupsFor(agentId: string): Promise<AgentCleanup[]> {
  const tasks = await db().cleanupTask.findMany({ where: { agentId }, orderBy: { createdAt: "asc" }, take: 50 });
  const out: AgentCleanup[] = [];
  for (const t of tasks) {
    const target = await db().storageTarget.findUnique({ where: { id: t.targetId } });
    if (!target) {
      await db().cleanupTask.delete({ where: { id: t.id } }).catch(() => undefined);
      continue;
    }
    out.push({ id: t.id, targetId: t.targetId, target: { kind: target.kind, path: target.path }, prefix: t.prefix, reason: t.reason });
  }
  return out;
}

/** The agent's answer for one cleanup: done (the task goes) or failed (kept, with its error, offered again). */
export async function completeCleanup(agent: Agent, id: string, r: { ok: boolean; error?: string; removed?: number }) {
  const t = await db().cleanupTask.findUnique({ where: { id } });
  if (!t) return { state: "gone" };
  if (t.agentId !== agent.id) throw new DomainError("FORBIDDEN", `Cleanup ${id} is not queued for agent ${agent.name}.`);
  if (r.ok) {
    await db().cleanupTask.delete({ where: { id } });
    logger.info({ agent: agent.name, target: t.targetId, prefix: t.prefix, removed: r.removed }, "an agent removed partial objects on its local path");
    return { state: "done" };
  }
  await db().cleanupTask.update({ where: { id }, data: { attempts: { increment: 1 }, lastError: (r.error ?? "failed").slice(0, 4000) } });
  return { state: "pending" };
}

/** Count of pending agent cleanups per agent id (for the Agents page). */
export async function pendingCleanupCounts(): Promise<Map<string, number>> {
  const rows = await db().cleanupTask.groupBy({ by: ["agentId"], where: { agentId: { not: null } }, _count: { _all: true } });
  return new Map(rows.map((r) => [r.agentId!, r._count._all]));
}
