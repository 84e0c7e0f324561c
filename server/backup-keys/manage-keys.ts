import { recordAudit, type Actor } from "../audit/record";
import { generateKey, keyId } from "../artifact/encryption";
import { db } from "../db/client";
import { conflict, notFound } from "../errors";
import { seal, unseal } from "../catalog-secrets/seal";
import { newId } from "../util/ids";

const ctx = (id: string) => `encryption-key:${id}`;

/** Creates a random 256-bit backup encryption key, sealed in the catalog. */
export async function createEncryptionKey(opts: { name: string; actor: Actor }) {
  if (await db().encryptionKey.findUnique({ where: { name: opts.name } })) throw conflict("name", `A key named ${opts.name} already exists.`);
  const id = newId("k");
  const key = generateKey();
  const row = await db().encryptionKey.create({ data: { id, name: opts.name, keyEnc: seal(key.toString("hex"), ctx(id)), keyId: keyId(key) } });
  await recordAudit(opts.actor, "key.create", { type: "key", id }, { name: opts.name, keyId: row.keyId });
  return { id: row.id, name: row.name, keyId: row.keyId, createdAt: row.createdAt };
}

export async function listEncryptionKeys() {
  const rows = await db().encryptionKey.findMany({ orderBy: { createdAt: "asc" }, include: { _count: { select: { backups: true } } } });
  return rows.map((r) => ({ id: r.id, name: r.name, keyId: r.keyId, createdAt: r.createdAt, backups: r._count.backups }));
}

/** The key bytes (server side only). */
export async function loadEncryptionKey(id: string): Promise<Buffer> {
  const row = await db().encryptionKey.findUnique({ where: { id } });
  if (!row) throw notFound("Encryption key", id);
  return Buffer.from(unseal(row.keyEnc, ctx(id)), "hex");
}

/**
 * Reveals a key (hex) so it can be stored offline: backups cannot be decrypted without it if the
 * catalog is lost. Audited.
 */
export async function exportEncryptionKey(opts: { id: string; actor: Actor }) {
  const key = await loadEncryptionKey(opts.id);
  const row = (await db().encryptionKey.findUnique({ where: { id: opts.id } }))!;
  await recordAudit(opts.actor, "key.export", { type: "key", id: opts.id }, { name: row.name, keyId: row.keyId });
  return { name: row.name, keyId: row.keyId, hex: key.toString("hex") };
}
