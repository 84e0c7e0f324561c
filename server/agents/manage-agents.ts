import { recordAudit, type Actor } from "../audit/record";
import { pendingCleanupCounts } from "./agent-cleanups";
import { db, parseJson } from "../db/client";
import { conflict, notFound, precondition } from "../errors";
import { hashAgentToken, newAgentToken, tokenHint } from "./tokens";

/** An agent is shown offline when its last heartbeat is older than this (default 60 s). */
export const agentOfflineMs = () => Number(process.env.DBBACKUP_AGENT_OFFLINE_MS || 60_000);

export type AgentFacts = {
  platform?: string;
  tools?: Record<string, string | null>;
  datadirs?: { path: string; filesystem: string | null }[];
};

export type AgentStatus = "never-seen" | "online" | "offline" | "revoked";

export function agentStatus(a: { revokedAt: Date | null; lastHeartbeatAt: Date | null }, now = Date.now()): AgentStatus {
  if (a.revokedAt) return "revoked";
  if (!a.lastHeartbeatAt) return "never-seen";
  return now - a.lastHeartbeatAt.getTime() <= agentOfflineMs() ? "online" : "offline";
}

/** Creates an agent and its token. The token is returned here once and never again. */
export async function createAgent(o: { name: string; actor: Actor }) {
  if (await db().agent.findUnique({ where: { name: o.name } })) throw conflict("name", `An agent named "${o.name}" exists already; choose another name.`);
  const token = newAgentToken();
  const agent = await db().$transaction(async (tx) => {
    const a = await tx.agent.create({ data: { name: o.name, tokenHash: hashAgentToken(token), tokenHint: tokenHint(token), createdById: "id" in o.actor ? o.actor.id : null } });
    await recordAudit(o.actor, "agent.create", { type: "agent", id: a.id }, { name: a.name, tokenHint: a.tokenHint }, tx);
    return a;
  });
  return { id: agent.id, name: agent.name, tokenHint: agent.tokenHint, token };
}

/** Revokes an agent's token: its API calls are refused from now on and its hosts go back to the embedded runner. */
export async function revokeAgent(o: { id: string; actor: Actor }) {
  const a = await db().agent.findUnique({ where: { id: o.id }, include: { hosts: { select: { id: true, name: true } } } });
  if (!a) throw notFound("Agent", o.id);
  if (a.revokedAt) throw precondition(`Agent ${a.name} was revoked already (${a.revokedAt.toISOString()}).`);
  await db().$transaction(async (tx) => {
    await tx.agent.update({ where: { id: a.id }, data: { revokedAt: new Date() } });
    await tx.host.updateMany({ where: { agentId: a.id }, data: { agentId: null } });
    await recordAudit(o.actor, "agent.revoke", { type: "agent", id: a.id }, { name: a.name, unboundHosts: a.hosts.map((h) => h.name) }, tx);
  });
  return { id: a.id };
}

/** Binds a host to an agent (its runs are then executed there), or unbinds it (agentId null). */
export async function bindHost(o: { hostId: string; agentId: string | null; actor: Actor }) {
  const host = await db().host.findUnique({ where: { id: o.hostId } });
  if (!host) throw notFound("Host", o.hostId);
  let agentName: string | null = null;
  if (o.agentId) {
    const a = await db().agent.findUnique({ where: { id: o.agentId } });
    if (!a) throw notFound("Agent", o.agentId);
    if (a.revokedAt) throw precondition(`Agent ${a.name} is revoked; create a new agent token and bind the host to that agent.`, "agentId");
    agentName = a.name;
  }
  const running = await db().run.count({ where: { hostId: host.id, state: "running" } });
  if (running > 0) throw precondition(`Host ${host.name} has ${running} run(s) in progress; bind it to another runner when they have finished.`, "agentId");
  await db().$transaction(async (tx) => {
    await tx.host.update({ where: { id: host.id }, data: { agentId: o.agentId } });
    await recordAudit(o.actor, o.agentId ? "agent.bind" : "agent.unbind", { type: "host", id: host.id }, { host: host.name, agent: agentName, previousAgentId: host.agentId }, tx);
  });
  return { hostId: host.id, agentId: o.agentId };
}

/** Agents with their status, facts and bound hosts. */
export async function listAgents() {
  const agents = await db().agent.findMany({ orderBy: { name: "asc" }, include: { hosts: { select: { id: true, name: true }, orderBy: { name: "asc" } } } });
  const now = Date.now();
  const cleanups = await pendingCleanupCounts();
  return agents.map((a) => ({
    id: a.id,
    name: a.name,
    tokenHint: a.tokenHint,
    hostname: a.hostname,
    version: a.version,
    facts: parseJson<AgentFacts>(a.facts, {}),
    registeredAt: a.registeredAt,
    lastHeartbeatAt: a.lastHeartbeatAt,
    revokedAt: a.revokedAt,
    createdAt: a.createdAt,
    status: agentStatus(a, now),
    hosts: a.hosts,
    /** partial objects on this agent's local paths waiting for it to remove them */
    pendingCleanups: cleanups.get(a.id) ?? 0,
  }));
}
