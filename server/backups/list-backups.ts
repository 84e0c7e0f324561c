import type { Prisma } from "../db/client";
import { db, parseJson } from "../db/client";
import { notFound } from "../errors";
import { openStore } from "../storage/open-store";
import { backupChainView } from "./chain-view";
import { predictionsFor } from "./restore-prediction";

export type BackupFilters = { hostId?: string; policyId?: string; state?: string; limit?: number; cursor?: string };

function present<T extends { databases: string; sizeBytes: bigint; binlogPos: bigint | null }>(b: T) {
  return { ...b, databases: parseJson<string[]>(b.databases, []), sizeBytes: Number(b.sizeBytes), binlogPos: b.binlogPos === null ? null : Number(b.binlogPos) };
}

export async function listBackups(f: BackupFilters = {}) {
  const limit = Math.min(f.limit ?? 50, 200);
  const where: Prisma.BackupWhereInput = { state: f.state ?? "complete", ...(f.hostId ? { hostId: f.hostId } : {}), ...(f.policyId ? { policyId: f.policyId } : {}) };
  const rows = await db().backup.findMany({
    where,
    orderBy: [{ finishedAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    ...(f.cursor ? { cursor: { id: f.cursor }, skip: 1 } : {}),
    include: { host: { select: { id: true, name: true } }, target: { select: { id: true, name: true, kind: true } } },
  });
  const page = rows.slice(0, limit).map(present);
  // physical backups: the restore time predicted from this host's own restore verifications
  const predicted = await predictionsFor(page);
  const items = page.map((b) => ({ ...b, predictedRestore: predicted[b.id] ?? null }));
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : undefined };
}

export async function getBackup(id: string) {
  const b = await db().backup.findUnique({
    where: { id },
    include: { host: { select: { id: true, name: true } }, target: true, encryptionKey: { select: { id: true, name: true, keyId: true } } },
  });
  if (!b) throw notFound("Backup", id);
  const verifications = await db().verification.findMany({ where: { backupId: id }, orderBy: { createdAt: "desc" }, take: 20 });
  const { target, ...rest } = b;
  const chain = b.toLsn ? await backupChainView(b) : null;
  const predictedRestore = (await predictionsFor([b]))[b.id] ?? null;
  return { ...present(rest), target: { id: target.id, name: target.name, kind: target.kind }, verifications, chain, predictedRestore };
}

/** The manifest as stored with the backup (read from the storage target). */
export async function getBackupManifest(id: string) {
  const b = await db().backup.findUnique({ where: { id }, include: { target: true } });
  if (!b) throw notFound("Backup", id);
  // manifests are stored in clear: no key needed to read them
  const { readManifest } = await import("../artifact/manifest");
  return readManifest(openStore(b.target), b.location);
}

