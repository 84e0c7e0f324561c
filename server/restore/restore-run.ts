import type { BackupSetReader } from "../artifact/backup-set-reader";
import type { StartRestoreInput } from "../backups/schemas";
import { db } from "../db/client";
import { DomainError } from "../errors";
import type { RunKind } from "../runner/run-kinds";
import { dropCreatedDatabases } from "./drop-created";
import { getRestorer, type RestoreOutcome } from "./registry";
import { claimNewDatabases, openBackupReader, restoreDatadirInPlace, restoreTargetOf, type CreatedDatabases, type RestoreTargetHost, type WorkspaceContext } from "./restore-into-host";

export type RestoreParams = StartRestoreInput & { overOriginal?: boolean; physical?: boolean };

export type RestoreRunResult = RestoreOutcome & { backupId: string; targetHost: string };

/**
 * A restore of an opened set into a host, as the embedded runner and a runner agent both do it:
 * physical in place (the datadir replaced), or logical after recording the databases it will
 * create (the workspace), so a failure drops exactly those.
 */
export async function restoreOpenedSet(ctx: WorkspaceContext, o: { reader: BackupSetReader; backupId: string; targetHost: RestoreTargetHost; params: RestoreParams }): Promise<RestoreRunResult> {
  const { reader, backupId, targetHost, params: p } = o;
  if (p.physical) {
    const outcome = await restoreDatadirInPlace(ctx, { reader, backupId, targetHost, parallel: p.parallel, startCommand: p.startCommand });
    return { ...outcome, backupId, targetHost: targetHost.name };
  }
  const address = targetHost.address;
  await claimNewDatabases(ctx, { address, targetHost, names: p.databases.map((d) => p.rename[d] ?? d), dropExisting: p.dropExisting });
  ctx.log("info", `Restoring ${backupId} (${reader.manifest.layout}) into ${targetHost.name}: ${p.databases.map((d) => (p.rename[d] && p.rename[d] !== d ? `${d} -> ${p.rename[d]}` : d)).join(", ")}.`);
  const outcome = await getRestorer(reader.manifest.layout)(ctx, {
    reader,
    target: address,
    rename: p.rename,
    databases: p.databases,
    parallel: p.parallel,
    dropExisting: p.dropExisting,
  });
  ctx.log("info", `Restored ${outcome.tables} tables, ${outcome.rows} rows in ${Math.round(outcome.ms / 100) / 10} s.`);
  return { ...outcome, backupId, targetHost: targetHost.name };
}

/**
 * The "restore" run. Databases that did not exist on the target before are recorded first; if the
 * restore fails or is cancelled they are dropped again, so a failed restore leaves no half-filled
 * database behind (existing databases are only touched when replacing them was asked for).
 */
export const restoreRunKind: RunKind<RestoreParams> = {
  kind: "restore",
  async execute(ctx) {
    const p = ctx.params;
    const backup = await db().backup.findUnique({ where: { id: p.backupId } });
    if (!backup || backup.state !== "complete") throw new DomainError("NOT_FOUND", `Backup ${p.backupId} no longer exists.`);
    const targetHost = await db().host.findUnique({ where: { id: p.targetHostId } });
    if (!targetHost) throw new DomainError("NOT_FOUND", "The target host was deleted.");
    ctx.progress({ phase: "reading manifest" });
    const reader = await openBackupReader(backup);
    return restoreOpenedSet(ctx, { reader, backupId: backup.id, targetHost: restoreTargetOf(targetHost), params: p });
  },

  recover: (_run, ws) => dropCreatedDatabases(ws as Partial<CreatedDatabases>),
};
