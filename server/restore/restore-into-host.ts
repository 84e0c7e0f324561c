import type { BackupSetReader } from "../artifact/backup-set-reader";
import type { Backup, Host } from "../db/generated/client";
import type { WorkContext } from "../work-context";
import { DomainError } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { queryRows, withServer } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";
import type { RunContext } from "../runner/run-kinds";
import { openCatalogBackup } from "../backups/catalog-chain";
import { getRestorer, type RestoreOutcome } from "./registry";

/** What a restore run records before it creates databases, for `dropCreatedDatabases` on failure. */
export type CreatedDatabases = { targetHostId: string; created: string[] };

/** A work context that can persist where partial work lives (the run's workspace): the embedded runner's, or an agent's that sends it with the fence. */
export type WorkspaceContext = WorkContext & Pick<RunContext, "workspace">;

/** The host a restore writes into, resolved (its address with the password) by the server. */
export type RestoreTargetHost = { id: string; name: string; datadir: string | null; address: ServerAddress };

export const restoreTargetOf = (h: Host): RestoreTargetHost => ({ id: h.id, name: h.name, datadir: h.datadir, address: hostAddress(h) });

/** A catalog backup's set, opened from its storage target with its encryption key (a delta with its checked chain). */
export async function openBackupReader(backup: Pick<Backup, "id" | "targetId" | "location" | "encryptionKeyId" | "parentBackupId">): Promise<BackupSetReader> {
  return openCatalogBackup(backup);
}

/**
 * Refuses names the target already has unless replacing them was asked for, then records the
 * names this restore will create (the run's workspace), so a failed or cancelled restore drops
 * exactly those and never a database that existed before.
 */
export async function claimNewDatabases(ctx: WorkspaceContext, o: { address: ServerAddress; targetHost: Pick<Host, "id" | "name">; names: string[]; dropExisting: boolean }) {
  const existing = await withServer(o.address, async (c) => (await queryRows<{ n: string }>(c, "SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA")).map((r) => r.n));
  const clash = o.names.filter((n) => existing.includes(n));
  if (clash.length && !o.dropExisting) {
    throw new DomainError("PRECONDITION", `${o.targetHost.name} already has database(s) ${clash.join(", ")}. Choose other names, or tick "replace existing databases".`);
  }
  await ctx.workspace({ targetHostId: o.targetHost.id, created: o.names.filter((n) => !existing.includes(n)) } satisfies CreatedDatabases);
}

/** Replaces the target host's datadir with a physical backup; the old datadir is kept next to it. */
export function restoreDatadirInPlace(
  ctx: WorkContext,
  o: { reader: BackupSetReader; backupId: string; targetHost: RestoreTargetHost; parallel: number; startCommand?: string },
): Promise<RestoreOutcome> {
  ctx.log("warn", `Replacing the datadir of ${o.targetHost.name} with backup ${o.backupId} (${o.reader.manifest.layout}); the old datadir is kept next to it.`);
  return getRestorer(o.reader.manifest.layout)(ctx, {
    reader: o.reader,
    target: o.targetHost.address,
    rename: {},
    parallel: o.parallel,
    dropExisting: true,
    options: { inPlace: true, startCommand: o.startCommand, ...(o.targetHost.datadir ? { datadir: o.targetHost.datadir } : {}) },
  });
}
