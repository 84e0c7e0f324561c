import { recordAudit, type Actor } from "../audit/record";
import { db } from "../db/client";
import { notFound, precondition } from "../errors";
import { openStore } from "../storage/open-store";

/**
 * Deletes a backup's objects, then marks its row deleted (kept as history). If deleting objects
 * fails, the row stays complete so the catalog never claims a backup is gone while it is not.
 */
export async function deleteBackup(opts: { backupId: string; actor: Actor; reason?: string }) {
  const b = await db().backup.findUnique({ where: { id: opts.backupId }, include: { target: true, host: true } });
  if (!b || b.state === "deleted") throw notFound("Backup", opts.backupId);
  const busy = await db().run.count({ where: { backupId: b.id, state: { in: ["queued", "running"] }, kind: { in: ["restore", "verify"] } } });
  if (busy) throw precondition(`Backup ${b.id} is being restored or verified right now; wait for that run to finish.`);
  // a chain link: the incrementals and differentials taken against it would become unrestorable
  const dependents = await db().backup.findMany({ where: { parentBackupId: b.id, state: "complete" }, select: { id: true } });
  if (dependents.length) {
    throw precondition(`Backup ${b.id} is the base of ${dependents.map((d) => d.id).join(", ")} (mariabackup chain): deleting it would leave them unrestorable. Delete those first, newest first.`);
  }
  const removed = await openStore(b.target).deletePrefix(b.location);
  await db().$transaction(async (tx) => {
    await tx.backup.update({ where: { id: b.id }, data: { state: "deleted" } });
    await recordAudit(opts.actor, "backup.delete", { type: "backup", id: b.id }, { host: b.host.name, objects: removed, reason: opts.reason ?? "manual" }, tx);
  });
  return { ok: true, objects: removed };
}
