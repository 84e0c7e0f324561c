import type { Run } from "../db/generated/client";

/**
 * Hands queued runs to somewhere else than this process (runner agents over a queue). The runner
 * asks it before executing a run; it returns true when it took the run (state running, lease
 * owner "agent:<id>"), false to let the embedded runner execute it as before. Set by the server
 * process when DBBACKUP_REDIS_URL is set (server/agents/queue.ts); unset, nothing changes.
 */
export type RunDispatcher = {
  dispatch(run: Run, leaseMs: number): Promise<boolean>;
};

const g = globalThis as { __dbbackupDispatcher?: RunDispatcher | null };

export function setRunDispatcher(d: RunDispatcher | null) {
  g.__dbbackupDispatcher = d;
}

export function runDispatcher(): RunDispatcher | null {
  return g.__dbbackupDispatcher ?? null;
}

export const AGENT_LEASE_PREFIX = "agent:";
export const agentLeaseOwner = (agentId: string) => `${AGENT_LEASE_PREFIX}${agentId}`;
export const isAgentLease = (owner: string | null | undefined) => !!owner && owner.startsWith(AGENT_LEASE_PREFIX);
