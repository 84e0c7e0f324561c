import { db } from "../db/client";
import { dispatch } from "./channels";
import { publicUrl } from "./message";

/**
 * A policy is stale when it has had no successful backup within its window (staleAfterMinutes).
 * Notifies once per stale episode (staleNotifiedAt is reset by the next success).
 */
export async function checkStalePolicies(now = new Date()) {
  const policies = await db().policy.findMany({ where: { enabled: true, staleAfterMinutes: { not: null } }, include: { host: { select: { name: true } } } });
  const stale: string[] = [];
  for (const p of policies) {
    const last = await db().backup.findFirst({ where: { policyId: p.id, state: "complete" }, orderBy: { finishedAt: "desc" } });
    const since = last?.finishedAt ?? p.createdAt;
    const windowMs = p.staleAfterMinutes! * 60000;
    if (now.getTime() - since.getTime() < windowMs) continue;
    stale.push(p.id);
    if (p.staleNotifiedAt && p.staleNotifiedAt.getTime() >= since.getTime()) continue;
    await db().policy.update({ where: { id: p.id }, data: { staleNotifiedAt: now } });
    await dispatch("stale", {
      title: `No successful backup of ${p.host.name} (policy ${p.name}) for ${Math.round((now.getTime() - since.getTime()) / 60000)} minutes`,
      text: last ? `The last successful backup finished at ${last.finishedAt.toISOString()}; the policy expects one every ${p.staleAfterMinutes} minutes.` : `The policy has never produced a successful backup (created ${p.createdAt.toISOString()}).`,
      host: p.host.name,
      policy: p.name,
      url: `${publicUrl()}/policies/${p.id}`,
    });
  }
  return stale;
}
