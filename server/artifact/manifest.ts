import { z } from "zod";
import { DomainError } from "../errors";
import type { ObjectStore } from "../storage/object-store";
import { chainLinkSchema } from "./chain";
import { COMPRESSIONS } from "./compression";

/**
 * The manifest of a backup set: `manifest.json` at the root of the backup's prefix, written LAST.
 * Its presence is the commit point: a prefix without it is an incomplete backup and is removed.
 * It is stored in clear (never encrypted, never holding key material) so any tool can read it.
 */
export const MANIFEST_NAME = "manifest.json";
export const MANIFEST_FORMAT = "dbbackup/1";

const objectEntry = z.object({
  path: z.string(),
  /** stored bytes (after compression and encryption) */
  size: z.number().int().nonnegative(),
  /** bytes before compression */
  rawSize: z.number().int().nonnegative(),
  /** sha256 (hex) of the stored bytes */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** what the object holds: schema | data | post-data | users | physical | binlog | meta */
  role: z.string(),
  /** for data objects: the database and table, and the chunk's rows */
  database: z.string().optional(),
  table: z.string().optional(),
  rows: z.number().int().nonnegative().optional(),
  /** logical chunk bounds (JSON-encoded key values), informative and used by fingerprint checks */
  lower: z.unknown().optional(),
  upper: z.unknown().optional(),
  chunk: z.number().int().nonnegative().optional(),
});
export type ManifestObject = z.infer<typeof objectEntry>;

const fingerprint = z.object({
  /** "pk-sha256": sha256 over the table's rows in primary-key order (chunk digests chained in order);
   *  "multiset-sha256": order-independent sum of per-row digests, for tables without a usable key */
  method: z.enum(["pk-sha256", "multiset-sha256"]),
  rows: z.number().int().nonnegative(),
  hash: z.string(),
});
export type TableFingerprint = z.infer<typeof fingerprint>;

const table = z.object({
  name: z.string(),
  kind: z.enum(["table", "sequence"]).default("table"),
  engine: z.string().nullable().optional(),
  rows: z.number().int().nonnegative(),
  rawBytes: z.number().int().nonnegative().default(0),
  fingerprint: fingerprint.nullable(),
  /** the column list the rows were dumped with (fingerprints are computed over these, in order) */
  columns: z.array(z.string()).default([]),
  /** primary or unique key columns used for chunking/ordering; [] when none */
  key: z.array(z.string()).default([]),
});

const database = z.object({
  name: z.string(),
  charset: z.string().optional(),
  collation: z.string().optional(),
  tables: z.array(table),
  views: z.array(z.string()).default([]),
  routines: z.array(z.object({ name: z.string(), type: z.string() })).default([]),
  triggers: z.array(z.string()).default([]),
  events: z.array(z.string()).default([]),
});
export type ManifestDatabase = z.infer<typeof database>;

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string(),
  /** logical | clone | snapshot | mariabackup */
  engine: z.string(),
  /** how the objects are laid out: logical-set | sql-file | tar | mbstream */
  layout: z.string(),
  host: z.object({ name: z.string(), id: z.string().optional() }),
  server: z.object({ version: z.string(), flavor: z.string(), serverId: z.number().optional(), hostname: z.string().optional() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** how long writes were blocked to take the consistent snapshot, ms */
  lockMs: z.number().nullable(),
  /** binlog coordinates of the consistent point (null when binlog is off) */
  coordinates: z
    .object({ file: z.string(), position: z.number().int(), gtid: z.string().nullable() })
    .nullable(),
  compression: z.object({ algorithm: z.enum(COMPRESSIONS), level: z.number().int().optional() }),
  encryption: z.object({ algorithm: z.literal("AES-256-GCM-chunked"), keyId: z.string() }).nullable(),
  objects: z.array(objectEntry),
  databases: z.array(database).default([]),
  totals: z.object({ rawBytes: z.number(), storedBytes: z.number(), rows: z.number(), tables: z.number() }),
  /** engine-specific details (chosen engine's reason, physical layout, tool versions, ...) */
  details: z.record(z.string(), z.unknown()).default({}),
  /** physical chains (mariabackup): full, or a delta of `chain.parent` (see chain.ts) */
  chain: chainLinkSchema.optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export async function writeManifest(store: ObjectStore, prefix: string, m: Manifest): Promise<string> {
  const body = JSON.stringify(manifestSchema.parse(m), null, 2) + "\n";
  await store.put(prefix + MANIFEST_NAME, body);
  const { createHash } = await import("node:crypto");
  return createHash("sha256").update(body).digest("hex");
}

export async function readManifest(store: ObjectStore, prefix: string): Promise<Manifest> {
  const where = store.describe(prefix + MANIFEST_NAME);
  let raw: Buffer;
  try {
    raw = await store.getBuffer(prefix + MANIFEST_NAME);
  } catch (e) {
    if (e instanceof DomainError && e.code === "NOT_FOUND")
      throw new DomainError("NOT_FOUND", `No manifest at ${where}: this is not a complete dbbackup backup (an interrupted backup has no manifest).`);
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new DomainError("INVALID", `${where} is not valid JSON: the manifest is corrupted.`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new DomainError("INVALID", `${where} is not a dbbackup manifest: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
