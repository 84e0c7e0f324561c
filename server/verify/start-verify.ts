import { recordAudit, type Actor } from "../audit/record";
import { db } from "../db/client";
import { invalid, notFound } from "../errors";
import { enqueueRun } from "../runner/enqueue-run";

export async function startVerify(opts: { backupId: string; verificationHostId?: string | null; objectsOnly?: boolean; actor: Actor }) {
  const b = await db().backup.findUnique({ where: { id: opts.backupId }, include: { host: true } });
  if (!b || b.state !== "complete") throw notFound("Backup", opts.backupId);
  if (opts.verificationHostId) {
    const h = await db().host.findUnique({ where: { id: opts.verificationHostId } });
    if (!h?.isVerificationHost) throw invalid("verificationHostId", "Choose a host marked as a verification host, or none for a sandbox server.");
  }
  const run = await enqueueRun({
    kind: "verify",
    hostId: b.hostId,
    backupId: b.id,
    params: { backupId: b.id, verificationHostId: opts.verificationHostId ?? null, ...(opts.objectsOnly ? { objectsOnly: true } : {}) },
    createdById: "id" in opts.actor ? opts.actor.id : null,
    maxAttempts: 1,
  });
  await recordAudit(opts.actor, "verify.start", { type: "run", id: run.id }, { backup: b.id, host: b.host.name });
  return run;
}

/** Queues a point-in-time drill for a host (older backup + archived binlogs vs a newer backup). */
export async function startDrill(opts: { hostId: string; actor: Actor }) {
  const h = await db().host.findUnique({ where: { id: opts.hostId } });
  if (!h) throw notFound("Host", opts.hostId);
  const run = await enqueueRun({ kind: "verify", hostId: h.id, params: { mode: "drill", hostId: h.id }, createdById: "id" in opts.actor ? opts.actor.id : null, maxAttempts: 1 });
  await recordAudit(opts.actor, "drill.start", { type: "run", id: run.id }, { host: h.name });
  return run;
}
