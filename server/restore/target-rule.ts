import { hasRole, type Role } from "../auth/roles";
import { DomainError, invalid } from "../errors";

/** A backup's layouts that replace a server's whole datadir when restored. */
export function isPhysicalFormat(format: string): boolean {
  return format === "tar" || format === "xbstream";
}

export type RestoreChoice = {
  /** databases asked for (empty: all of the backup's) and their new names */
  databases: string[];
  rename: Record<string, string>;
  dropExisting: boolean;
  /** the target host's name, typed by the user */
  confirm?: string;
  /** physical backups: how the target server is started after its datadir is replaced */
  startCommand?: string;
};

export type RestoreTargetRequest = {
  backup: { id: string; hostId: string; format: string; databases: string[] };
  target: { id: string; name: string };
  role: Role;
  /** what the user asked for (the restore's or the PITR's input) */
  input: RestoreChoice;
  /** how messages name the backup, e.g. "this backup" or "backup b1 (the base for 14:03)" */
  what: string;
  /** the suffix a message suggests for a copy under new names, e.g. "_restored" */
  copySuffix: string;
};

export type RestoreTargetDecision = {
  /** the whole datadir is replaced (tar/xbstream backups) */
  physical: boolean;
  /** some database keeps its name on the backup's own host: it is overwritten */
  overOriginal: boolean;
  /** the databases that will be restored */
  databases: string[];
};

/**
 * May this restore write to this target, and what will it overwrite? The one rule for restores and
 * point-in-time restores (test/unit/restore-target-rule.test.ts is its table):
 * - a physical backup replaces the target's whole datadir: an admin only, the host name typed, a
 *   start command, and no choice of databases or renames;
 * - a logical backup restores the chosen databases (all by default) under their new names; the
 *   names must be in the backup, renames must be of chosen databases, two cannot land on one name;
 * - over the backup's own host, a database that keeps its name is overwritten: an admin only, the
 *   host name typed, and "replace existing databases" ticked. Anything else needs an operator.
 */
export function decideRestoreTarget(req: RestoreTargetRequest): RestoreTargetDecision {
  const r = { ...req, ...req.input };
  const { target } = r;
  if (isPhysicalFormat(r.backup.format)) {
    if (!hasRole(r.role, "admin"))
      throw new DomainError(
        "FORBIDDEN",
        `${r.what} is physical (${r.backup.format}): restoring it replaces ${target.name}'s whole datadir and needs an admin. To check the backup without touching a server, verify it (it is restored into a sandbox).`,
      );
    if ((r.confirm ?? "").trim() !== target.name) throw invalid("confirm", `This stops ${target.name} and replaces its datadir. Type the host name (${target.name}) to confirm.`);
    if (!r.startCommand) throw invalid("startCommand", `Enter the command that starts ${target.name} after its datadir is replaced, e.g. systemctl start mariadb.`);
    if (r.databases.length || Object.keys(r.rename).length) throw invalid("databases", "A physical backup restores the whole server: databases and renames cannot be chosen.");
    return { physical: true, overOriginal: false, databases: r.backup.databases };
  }

  const inBackup = r.backup.databases;
  const chosen = r.databases.length ? r.databases : inBackup;
  const unknown = chosen.filter((d) => !inBackup.includes(d));
  if (unknown.length) throw invalid("databases", `Not in ${r.what}: ${unknown.join(", ")}. It holds ${inBackup.join(", ") || "no databases"}.`);
  for (const k of Object.keys(r.rename)) if (!chosen.includes(k)) throw invalid("rename", `Cannot rename ${k}: it is not among the databases being restored.`);
  const targetNames = chosen.map((d) => r.rename[d] ?? d);
  const dup = targetNames.find((n, i) => targetNames.indexOf(n) !== i);
  if (dup) throw invalid("rename", `Two databases would be restored as ${dup}.`);

  const kept = chosen.filter((d) => (r.rename[d] ?? d) === d);
  const overOriginal = target.id === r.backup.hostId && kept.length > 0;
  if (overOriginal) {
    if (!hasRole(r.role, "admin"))
      throw new DomainError("FORBIDDEN", `Restoring over ${target.name}'s own databases needs an admin. Restore under new names (e.g. ${chosen[0]} -> ${chosen[0]}${r.copySuffix}) or to another host.`);
    if ((r.confirm ?? "").trim() !== target.name) throw invalid("confirm", `This overwrites ${kept.join(", ")} on ${target.name}. Type the host name (${target.name}) to confirm.`);
    if (!r.dropExisting) throw invalid("dropExisting", "Restoring over the original databases replaces them: tick 'replace existing databases'.");
  }
  return { physical: false, overOriginal, databases: chosen };
}
