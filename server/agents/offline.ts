import { db } from "../db/client";
import { dispatch } from "../notify/channels";
import { publicUrl } from "../notify/message";
import { agentOfflineMs } from "./manage-agents";

/**
 * Agents silent for longer than the offline limit (60 s): one notification per silence (the next
 * heartbeat clears it). Their runs need nothing here: an agent renews its runs' leases with each
 * progress report, so they are recovered (partial objects removed, retried or failed) by the
 * runner's lease check once the lease ends (30 s).
 */
export async function checkAgentsOffline(now = new Date()) {
  const limit = new Date(now.getTime() - agentOfflineMs());
  const silent = await db().agent.findMany({ where: { revokedAt: null, lastHeartbeatAt: { lt: limit }, offlineNotifiedAt: null }, include: { hosts: { select: { name: true } } } });
  for (const a of silent) {
    const took = await db().agent.updateMany({ where: { id: a.id, offlineNotifiedAt: null }, data: { offlineNotifiedAt: now } });
    if (took.count !== 1) continue;
    const hosts = a.hosts.map((h) => h.name);
    await dispatch("agent-offline", {
      title: `Agent ${a.name} is offline`,
      text: `No heartbeat from agent ${a.name} (${a.hostname || "host unknown"}) since ${a.lastHeartbeatAt!.toISOString()}. Runs of ${hosts.length ? hosts.join(", ") : "its hosts"} wait or fail until it is back: check the dbbackup-agent service on that machine (journalctl -u dbbackup-agent).`,
      url: `${publicUrl()}/agents`,
    });
  }
  return silent.map((a) => a.id);
}
