import { recordAudit, type Actor } from "../audit/record";
import { hasRole, type Role } from "../auth/roles";
import type { StartRestoreInput } from "../backups/schemas";
import { db, parseJson } from "../db/client";
import { DomainError, invalid, notFound } from "../errors";
import { enqueueRun } from "../runs/enqueue-run";

/**
 * Queues a restore. Restoring over the source host's own databases (same host, a database keeping
 * its name) needs an admin who typed the host's name; everything else needs an operator.
 */
export async function startRestore(opts: { input: StartRestoreInput; actor: Actor & { role?: Role } }) {
  const v = opts.input;
  const backup = await db().backup.findUnique({ where: { id: v.backupId }, include: { host: true } });
  if (!backup || backup.state !== "complete") throw notFound("Backup", v.backupId);
  const target = await db().host.findUnique({ where: { id: v.targetHostId } });
  if (!target) throw invalid("targetHostId", "That host does not exist.");
  if (backup.format === "tar" || backup.format === "xbstream") return startPhysicalRestore(opts, backup, target);
  const inBackup = parseJson<string[]>(backup.databases, []);
  const chosen = v.databases.length ? v.databases : inBackup;
  const unknown = chosen.filter((d) => !inBackup.includes(d));
  if (unknown.length) throw invalid("databases", `Not in this backup: ${unknown.join(", ")}. It holds ${inBackup.join(", ") || "no databases"}.`);
  for (const k of Object.keys(v.rename)) if (!inBackup.includes(k)) throw invalid("rename", `Cannot rename ${k}: it is not in this backup.`);
  const targetNames = chosen.map((d) => v.rename[d] ?? d);
  const dup = targetNames.find((n, i) => targetNames.indexOf(n) !== i);
  if (dup) throw invalid("rename", `Two databases would be restored as ${dup}.`);

  const overOriginal = target.id === backup.hostId && chosen.some((d) => (v.rename[d] ?? d) === d);
  if (overOriginal) {
    const role = opts.actor.role ?? "viewer";
    if (!hasRole(role, "admin")) {
      throw new DomainError("FORBIDDEN", `Restoring over ${target.name}'s own databases needs an admin. Restore under new names (e.g. ${chosen[0]} -> ${chosen[0]}_restored) or to another host.`);
    }
    if ((v.confirm ?? "").trim() !== target.name) {
      throw invalid("confirm", `This overwrites ${chosen.filter((d) => (v.rename[d] ?? d) === d).join(", ")} on ${target.name}. Type the host name (${target.name}) to confirm.`);
    }
    if (!v.dropExisting) throw invalid("dropExisting", "Restoring over the original databases replaces them: tick 'replace existing databases'.");
  }
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
 * backup in place, start): an admin only, with the host name typed, and the command that starts
 * the server. The old datadir is kept next to the new one.
 */
async function startPhysicalRestore(
  opts: { input: StartRestoreInput; actor: Actor & { role?: Role } },
  backup: { id: string; format: string; host: { name: string } },
  target: { id: string; name: string },
) {
  const v = opts.input;
  if (!hasRole(opts.actor.role ?? "viewer", "admin")) {
    throw new DomainError("FORBIDDEN", `Restoring a physical (${backup.format}) backup replaces ${target.name}'s whole datadir and needs an admin. To check the backup without touching a server, verify it (it is restored into a sandbox).`);
  }
  if ((v.confirm ?? "").trim() !== target.name) throw invalid("confirm", `This stops ${target.name} and replaces its datadir. Type the host name (${target.name}) to confirm.`);
  if (!v.startCommand) throw invalid("startCommand", `Enter the command that starts ${target.name} after its datadir is replaced, e.g. systemctl start mariadb.`);
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
