import { BackupSetReader } from "../artifact/backup-set-reader";
import type { StartRestoreInput } from "../backups/schemas";
import { db } from "../db/client";
import { DomainError } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { loadEncryptionKey } from "../keys/manage-keys";
import { queryRows, withServer } from "../mysql/connect";
import type { RunKind } from "../runner/run-kinds";
import { openTargetStore } from "../storage/open-store";
import "../engines/index";
import { dropCreatedDatabases } from "./drop-created";
import { getRestorer } from "./registry";

type Params = StartRestoreInput & { overOriginal?: boolean; physical?: boolean };
type Workspace = { targetHostId: string; created: string[] };

/**
 * The "restore" run. Databases that did not exist on the target before are recorded first; if the
 * restore fails or is cancelled they are dropped again, so a failed restore leaves no half-filled
 * database behind (existing databases are only touched when replacing them was asked for).
 */
export const restoreRunKind: RunKind<Params> = {
  kind: "restore",
  async execute(ctx) {
    const p = ctx.params;
    const backup = await db().backup.findUnique({ where: { id: p.backupId } });
    if (!backup || backup.state !== "complete") throw new DomainError("NOT_FOUND", `Backup ${p.backupId} no longer exists.`);
    const targetHost = await db().host.findUnique({ where: { id: p.targetHostId } });
    if (!targetHost) throw new DomainError("NOT_FOUND", "The target host was deleted.");
    const { store } = await openTargetStore(backup.targetId);
    const key = backup.encryptionKeyId ? await loadEncryptionKey(backup.encryptionKeyId) : null;
    ctx.progress({ phase: "reading manifest" });
    const reader = await BackupSetReader.open(store, backup.location, key);
    const address = hostAddress(targetHost);
    if (p.physical) {
      ctx.log("warn", `Replacing the datadir of ${targetHost.name} with backup ${backup.id} (${reader.manifest.layout}); the old datadir is kept next to it.`);
      const outcome = await getRestorer(reader.manifest.layout)(ctx, {
        reader,
        target: address,
        rename: {},
        parallel: p.parallel,
        dropExisting: true,
        options: { inPlace: true, startCommand: p.startCommand, ...(targetHost.datadir ? { datadir: targetHost.datadir } : {}) },
      });
      return { ...outcome, backupId: backup.id, targetHost: targetHost.name };
    }
    const names = p.databases.map((d) => p.rename[d] ?? d);
    const existing = await withServer(address, async (c) =>
      (await queryRows<{ n: string }>(c, "SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA")).map((r) => r.n),
    );
    const clash = names.filter((n) => existing.includes(n));
    if (clash.length && !p.dropExisting) {
      throw new DomainError("PRECONDITION", `${targetHost.name} already has database(s) ${clash.join(", ")}. Choose other names, or tick "replace existing databases".`);
    }
    await ctx.workspace({ targetHostId: targetHost.id, created: names.filter((n) => !existing.includes(n)) } satisfies Workspace);
    ctx.log("info", `Restoring ${backup.id} (${reader.manifest.layout}) into ${targetHost.name}: ${p.databases.map((d) => (p.rename[d] && p.rename[d] !== d ? `${d} -> ${p.rename[d]}` : d)).join(", ")}.`);
    const outcome = await getRestorer(reader.manifest.layout)(ctx, {
      reader,
      target: address,
      rename: p.rename,
      databases: p.databases,
      parallel: p.parallel,
      dropExisting: p.dropExisting,
    });
    ctx.log("info", `Restored ${outcome.tables} tables, ${outcome.rows} rows in ${Math.round(outcome.ms / 100) / 10} s.`);
    return { ...outcome, backupId: backup.id, targetHost: targetHost.name };
  },

  recover: (_run, ws) => dropCreatedDatabases(ws as Partial<Workspace>),
};
