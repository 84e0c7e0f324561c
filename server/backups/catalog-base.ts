import type { BackupKind, ChainBase } from "../artifact/chain";
import { baseFromSet } from "../backup-pipeline/chain-base";
import { db } from "../db/client";
import { DomainError, errorMessage } from "../errors";
import { openTargetStore } from "../storage/open-store";
import type { WorkContext } from "../work-context";
import { markChainBroken } from "./catalog-chain";

/**
 * The base of a scheduled or requested delta backup, from the catalog: the named backup, or for
 * an incremental the host's newest restorable physical backup on the target (any chain member),
 * for a differential its newest restorable full. Null means "take a full": there is no usable
 * base yet, or the newest one is damaged (it is then marked, with its successors).
 */
export async function catalogBase(ctx: WorkContext, o: { hostId: string; targetId: string; kind: BackupKind; fromBackupId?: string | null }): Promise<ChainBase | null> {
  if (o.kind === "full") return null;
  let row;
  if (o.fromBackupId) {
    row = await db().backup.findUnique({ where: { id: o.fromBackupId } });
    if (!row || row.state !== "complete") throw new DomainError("NOT_FOUND", `Backup ${o.fromBackupId}, named as the base of this ${o.kind} backup, does not exist (it may have been deleted). Choose another base or take a full backup.`);
    if (row.hostId !== o.hostId) throw new DomainError("INVALID", `Backup ${o.fromBackupId} is of another host: a delta only applies to a backup of the same server.`);
    if (row.chainBroken) throw new DomainError("PRECONDITION", `Backup ${o.fromBackupId} cannot be restored (${row.chainBroken}), so nothing taken against it could be. Take a full backup.`);
  } else {
    row = await db().backup.findFirst({
      where: { hostId: o.hostId, targetId: o.targetId, state: "complete", chainBroken: null, toLsn: { not: null }, ...(o.kind === "differential" ? { backupKind: "full" } : {}) },
      orderBy: { finishedAt: "desc" },
    });
    if (!row) {
      ctx.log("info", `No ${o.kind === "differential" ? "full mariabackup backup" : "mariabackup backup"} of this host on this target to build on: taking a full backup, the start of a new chain.`);
      return null;
    }
  }
  const { store } = await openTargetStore(row.targetId);
  try {
    const base = await baseFromSet(store, row.location, { location: row.location, kind: o.kind });
    if (row.manifestSha256 && base.parent.manifestSha256 !== row.manifestSha256) throw new DomainError("INVALID", `its manifest at ${store.describe(row.location)} is not the one recorded when it was taken`);
    ctx.log("info", `${o.kind === "differential" ? "Differential" : "Incremental"} backup against ${row.backupKind} backup ${row.id} (to_lsn ${base.parent.toLsn}, link ${base.parent.depth + 1} of its chain).`);
    return base;
  } catch (e) {
    if (o.fromBackupId) throw e;
    if (e instanceof DomainError && e.retryable) throw e;
    await markChainBroken(row.id, `Backup ${row.id} is damaged: ${errorMessage(e)}`);
    ctx.log("warn", `The newest base, backup ${row.id}, is damaged (${errorMessage(e)}): taking a full backup instead.`);
    return null;
  }
}
