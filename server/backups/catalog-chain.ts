import { BackupSetReader } from "../artifact/backup-set-reader";
import { recordAudit } from "../audit/record";
import { loadEncryptionKey } from "../backup-keys/manage-keys";
import type { Backup } from "../db/generated/client";
import { db } from "../db/client";
import { DomainError, errorMessage } from "../errors";
import { dispatch } from "../notify/channels";
import { publicUrl } from "../notify/message";
import { ChainBrokenError, openChain } from "../restore/physical/open-chain";
import { openTargetStore } from "../storage/open-store";

type Row = Pick<Backup, "id" | "targetId" | "location" | "encryptionKeyId" | "parentBackupId">;

async function openSet(b: Pick<Backup, "targetId" | "location" | "encryptionKeyId">): Promise<BackupSetReader> {
  const { store } = await openTargetStore(b.targetId);
  const key = b.encryptionKeyId ? await loadEncryptionKey(b.encryptionKeyId) : null;
  return BackupSetReader.open(store, b.location, key);
}

/**
 * A catalog backup's set, opened from its storage target with its key; for an incremental or
 * differential, with its whole chain found through parentBackupId and checked (open-chain.ts)
 * before anything is restored. A missing or damaged link marks it and every later backup of its
 * chain as not restorable (catalog, page, metric, notification) and fails with what broke.
 */
export async function openCatalogBackup(backup: Row): Promise<BackupSetReader> {
  const reader = await openSet(backup);
  if (!backup.parentBackupId) return reader;
  try {
    await openChain(reader, async (p) => {
      const row = await db().backup.findUnique({ where: { id: p.id } });
      if (!row) throw new DomainError("NOT_FOUND", `backup ${p.id} is not in the catalog any more`);
      if (row.state !== "complete") throw new DomainError("NOT_FOUND", `backup ${p.id} was deleted`);
      return openSet(row);
    });
  } catch (e) {
    if (e instanceof ChainBrokenError) await markChainBroken(e.brokenId, e.message);
    throw e;
  }
  return reader;
}

/** Every backup taken against `id`, directly or through others (its successors in the chain). */
export async function chainSuccessors(id: string): Promise<string[]> {
  const out: string[] = [];
  let frontier = [id];
  while (frontier.length) {
    const kids = await db().backup.findMany({ where: { parentBackupId: { in: frontier } }, select: { id: true } });
    frontier = kids.map((k) => k.id).filter((k) => !out.includes(k));
    out.push(...frontier);
  }
  return out;
}

/** Marks `brokenId` (when it is still a catalog row) and all its successors not restorable, and says so once. */
export async function markChainBroken(brokenId: string, reason: string) {
  const ids = [brokenId, ...(await chainSuccessors(brokenId))];
  const fresh = await db().backup.findMany({ where: { id: { in: ids }, state: "complete", chainBroken: null }, include: { host: { select: { name: true } } } });
  if (!fresh.length) return;
  await db().backup.updateMany({ where: { id: { in: fresh.map((b) => b.id) } }, data: { chainBroken: reason } });
  await recordAudit({ system: "runner" }, "backup.chain-broken", { type: "backup", id: brokenId }, { notRestorable: fresh.map((b) => b.id), reason });
  const host = fresh[0]!.host.name;
  await dispatch("verify-failure", {
    title: `Backup chain of ${host} broken at ${brokenId}: ${fresh.length} backup${fresh.length === 1 ? "" : "s"} cannot be restored`,
    text: `${reason}\nNot restorable: ${fresh.map((b) => b.id).join(", ")}. Take a new full backup.`,
    host,
    url: `${publicUrl()}/hosts/${fresh[0]!.hostId}`,
  }).catch((e) => console.warn(`chain-broken notification failed: ${errorMessage(e)}`));
}
