import { recordAudit, type Actor } from "../audit/record";
import type { Role } from "../auth/roles";
import type { StartRestoreInput } from "../backups/schemas";
import { db, parseJson } from "../db/client";
import { invalid, notFound } from "../errors";
import { enqueueRun } from "../runner/enqueue-run";
import { decideRestoreTarget } from "./target-rule";

/** Queues a restore once decideRestoreTarget (the one rule for restores and PITR) allows it. */
export async function startRestore(opts: { input: StartRestoreInput; actor: Actor & { role?: Role } }) {
  const v = opts.input;
  const backup = await db().backup.findUnique({ where: { id: v.backupId }, include: { host: true } });
  if (!backup || backup.state !== "complete") throw notFound("Backup", v.backupId);
  const target = await db().host.findUnique({ where: { id: v.targetHostId } });
  if (!target) throw invalid("targetHostId", "That host does not exist.");
  const decision = decideRestoreTarget({
    backup: { id: backup.id, hostId: backup.hostId, format: backup.format, databases: parseJson<string[]>(backup.databases, []) },
    target,
    role: opts.actor.role ?? "viewer",
    input: v,
    what: "this backup",
    copySuffix: "_restored",
  });
  if (decision.physical) return startPhysicalRestore(opts, backup, target);
  const { overOriginal, databases: chosen } = decision;
  const run = await enqueueRun({
    kind: "restore",
    hostId: target.id,
    backupId: backup.id,
    params: { ...v, databases: chosen, overOriginal },
    createdById: "id" in opts.actor ? opts.actor.id : null,
    maxAttempts: 1, // a restore is not retried on its own: the target may have been partly written
  });
  await recordAudit(opts.actor, overOriginal ? "restore.start-over-original" : "restore.start", { type: "run", id: run.id }, {
    backup: backup.id,
    from: backup.host.name,
    to: target.name,
    databases: chosen,
    rename: v.rename,
  });
  return run;
}

/**
 * A physical backup replaces a server's whole datadir (stop, move the old datadir aside, put the
 * backup in place, start; decideRestoreTarget checked who may). The old datadir is kept next to
 * the new one.
 */
async function startPhysicalRestore(
  opts: { input: StartRestoreInput; actor: Actor & { role?: Role } },
  backup: { id: string; format: string; host: { name: string } },
  target: { id: string; name: string },
) {
  const v = opts.input;
  const run = await enqueueRun({
    kind: "restore",
    hostId: target.id,
    backupId: backup.id,
    params: { ...v, physical: true },
    createdById: "id" in opts.actor ? opts.actor.id : null,
    maxAttempts: 1,
  });
  await recordAudit(opts.actor, "restore.start-physical-in-place", { type: "run", id: run.id }, { backup: backup.id, from: backup.host.name, to: target.name, startCommand: v.startCommand });
  return run;
}
