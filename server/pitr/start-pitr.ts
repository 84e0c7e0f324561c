import { z } from "zod";
import { recordAudit, type Actor } from "../audit/record";
import { dbName, renameMap } from "../backups/schemas";
import type { Role } from "../auth/roles";
import { db, parseJson } from "../db/client";
import { DomainError, invalid, notFound } from "../errors";
import { decideRestoreTarget } from "../restore/target-rule";
import { enqueueRun } from "../runner/enqueue-run";
import { planHostPitr } from "./catalog-segments";
import { isMariaGtid, isMysqlGtid, stateIncludes } from "./gtid";
import { describeTarget, parseTarget, type PlanBackup } from "./plan";

/** A transaction to skip must be one the replay will read: after the base backup. */
export function checkSkip(gtid: string, backup: PlanBackup) {
  if (!isMariaGtid(gtid) && !isMysqlGtid(gtid)) throw invalid("skipGtid", `${gtid} is not a GTID: use domain-server-seq (MariaDB, e.g. 0-1-1234) or uuid:n (MySQL).`);
  if (backup.gtid && stateIncludes(backup.gtid, gtid)) {
    throw new DomainError("PRECONDITION", `GTID ${gtid} is already in backup ${backup.id} (the base chosen for this target, GTID state ${backup.gtid}): it cannot be skipped by replaying after that backup. Nothing was started.`, { field: "skipGtid" });
  }
}

export const startPitrInput = z.object({
  /** the host whose backups and archived binlogs are used */
  hostId: z.string().min(1),
  targetHostId: z.string().min(1, "Choose the host to restore into."),
  /** one of: a time (ISO 8601), a GTID, a FILE:POS */
  until: z.string().trim().optional(),
  untilGtid: z.string().trim().optional(),
  untilPosition: z.string().trim().optional(),
  /** replay past this transaction without applying it (undo one incident); the target is then after it */
  skipGtid: z.string().trim().optional(),
  rename: renameMap,
  /** restore (and replay) only these databases; empty = every database of the base backup */
  databases: z.array(dbName).default([]),
  dropExisting: z.boolean().default(false),
  parallel: z.coerce.number().int().min(1).max(32).default(4),
  /** log the restore (base and replay) in the target's binlog, so its replicas follow (default: not logged, when the account may) */
  writeBinlog: z.boolean().default(false),
  /** required when restoring over the source host's own databases: the host's name, typed */
  confirm: z.string().optional(),
  /** physical base backups: the command that starts the target server after its datadir is replaced */
  startCommand: z.string().trim().max(500).optional(),
});
export type StartPitrInput = z.infer<typeof startPitrInput>;

/**
 * Queues a point-in-time restore after checking what can be checked now: the target parses, a
 * backup connects to it through archived binlogs (the run plans again when it starts), the
 * databases and renames fit that backup. Over the source host's own databases it needs an admin
 * who typed the host's name, as a plain restore does; a physical base backup replaces the target's
 * whole datadir and needs an admin too.
 */
export async function startPitr(opts: { input: z.input<typeof startPitrInput>; actor: Actor & { role?: Role } }) {
  const v = startPitrInput.parse(opts.input);
  const source = await db().host.findUnique({ where: { id: v.hostId } });
  if (!source) throw notFound("Host", v.hostId);
  const target = await db().host.findUnique({ where: { id: v.targetHostId } });
  if (!target) throw invalid("targetHostId", "That host does not exist.");
  const pitrTarget = parseTarget(v);
  const plan = await planHostPitr(source.id, pitrTarget);
  if (v.skipGtid) checkSkip(v.skipGtid, plan.backup);
  const backup = await db().backup.findUnique({ where: { id: plan.backup.id } });
  if (!backup) throw notFound("Backup", plan.backup.id);
  const { physical, overOriginal, databases: chosen } = decideRestoreTarget({
    backup: { id: backup.id, hostId: source.id, format: backup.format, databases: parseJson<string[]>(backup.databases, []) },
    target,
    role: opts.actor.role ?? "viewer",
    input: v,
    what: `backup ${backup.id} (the base for ${describeTarget(pitrTarget)})`,
    copySuffix: "_pitr",
  });

  const run = await enqueueRun({
    kind: "pitr",
    hostId: target.id,
    backupId: backup.id,
    params: { ...v, overOriginal, physical },
    createdById: "id" in opts.actor ? opts.actor.id : null,
    maxAttempts: 1, // the target may have been partly written: never retried on its own
  });
  await recordAudit(opts.actor, physical ? "pitr.start-physical-in-place" : overOriginal ? "pitr.start-over-original" : "pitr.start", { type: "run", id: run.id }, {
    from: source.name,
    to: target.name,
    target: describeTarget(pitrTarget),
    backup: backup.id,
    databases: chosen,
    rename: v.rename,
    ...(v.skipGtid ? { skipGtid: v.skipGtid } : {}),
  });
  return run;
}
