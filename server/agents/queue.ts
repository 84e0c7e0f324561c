import { Queue } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import type { Run } from "../db/generated/client";
import { db } from "../db/client";
import { errorMessage } from "../errors";
import { logger } from "../logging/logger";
import { agentLeaseOwner, setRunDispatcher, type RunDispatcher } from "../runner/dispatch";
import { appendRunLog } from "../runner/run-log";
import { agentExecutes, agentQueueName, executingHostId, type AgentJobData } from "./agent-runs";

/** An ioredis client for BullMQ (given as an instance: BullMQ loads no client by itself under ESM). */
export function redisClient(url: string, extra: RedisOptions = {}) {
  return new Redis(url, extra);
}

/**
 * Sends the runs of agent-bound hosts to BullMQ, one queue per agent (an agent's worker listens to
 * its own queue only; the API refuses runs of hosts not bound to it anyway). A job names the run
 * and attempt, nothing secret. The run is marked running with an "agent:<id>" lease first; if the
 * agent does not claim it before the lease expires the runner recovers it like any lost run.
 */
export class AgentDispatcher implements RunDispatcher {
  private readonly queues = new Map<string, Queue>();
  private readonly clients: Redis[] = [];
  constructor(private readonly redisUrl: string) {}

  private queue(agentId: string) {
    let q = this.queues.get(agentId);
    if (!q) {
      // fail fast while Redis is down instead of queueing commands in memory: the run stays queued
      const client = redisClient(this.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      client.on("error", () => undefined); // reported through the queue's error event
      this.clients.push(client);
      q = new Queue(agentQueueName(agentId), { connection: client });
      q.on("error", (e) => logger.warn({ err: errorMessage(e) }, "agent queue: Redis error"));
      this.queues.set(agentId, q);
    }
    return q;
  }

  async dispatch(run: Run, leaseMs: number): Promise<boolean> {
    const hostId = executingHostId(run);
    if (!agentExecutes(run) || !hostId) return false;
    const host = await db().host.findUnique({ where: { id: hostId }, select: { name: true, agentId: true, agent: { select: { name: true } } } });
    if (!host?.agentId || !host.agent) return false;
    const owner = agentLeaseOwner(host.agentId);
    const now = new Date();
    const took = await db().run.updateMany({
      where: { id: run.id, state: "queued" },
      data: { state: "running", leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + leaseMs), startedAt: run.startedAt ?? now },
    });
    if (took.count !== 1) return true; // someone else took it meanwhile: not ours to run either
    const data: AgentJobData = { runId: run.id, attempt: run.attempt };
    try {
      await this.queue(host.agentId).add("run", data, { jobId: `${run.id}-${run.attempt}`, attempts: 1, removeOnComplete: 1000, removeOnFail: 1000 });
      await appendRunLog(run.id, "info", `Queued for agent ${host.agent.name} (host ${host.name} is bound to it).`);
    } catch (e) {
      // Redis unreachable: back to the queue, tried again in a few seconds
      await db().run.updateMany({ where: { id: run.id, state: "running", leaseOwner: owner }, data: { state: "queued", leaseOwner: null, leaseExpiresAt: null, notBefore: new Date(Date.now() + 5000) } });
      await appendRunLog(run.id, "warn", `Could not queue the run for agent ${host.agent.name}: Redis did not take it (${errorMessage(e)}). Trying again in 5 s; check DBBACKUP_REDIS_URL and that redis-server runs.`);
    }
    return true;
  }

  async close() {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    for (const c of this.clients.splice(0)) c.disconnect();
  }
}

/** Turns agent dispatch on when DBBACKUP_REDIS_URL is set (the server process and tests call it). */
export function startAgentDispatch(url = process.env.DBBACKUP_REDIS_URL): AgentDispatcher | null {
  if (!url) return null;
  const d = new AgentDispatcher(url);
  setRunDispatcher(d);
  return d;
}
