import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BackupSetWriter } from "../../server/artifact/backup-set";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { keyId } from "../../server/artifact/encryption";
import { dumpToSqlFile, logicalEngine } from "../../server/engines/logical";
import type { ServerFacts } from "../../server/mysql/server-facts";
import type { Sandbox } from "../../server/mysql/sandbox";
import { restoreLogicalSet } from "../../server/restore/logical";
import { LocalStore } from "../../server/storage/local-store";
import { S3Store } from "../../server/storage/s3-store";
import { s3Leftovers, startS3 } from "../helpers/s3";
import {
  client,
  createAccounts,
  createCharsetRoutines,
  describeAccounts,
  describeDatabases,
  factsOf,
  loadFixture,
  NASTY,
  OTHER,
  renamed,
  sandboxInZone,
  sh,
  testContext,
} from "../helpers/logical";

// The source runs at +05:30 and the targets at -03:00: TIMESTAMP values survive only if they travel
// independently of either zone.
const [source, target] = await Promise.all([sandboxInZone("+05:30"), sandboxInZone("-03:00")]);
let facts: ServerFacts;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-logical-rt-"));
const store = new LocalStore(dir);
const key = crypto.randomBytes(32);
const DBS = [NASTY, OTHER];
const ACCOUNTS = ["'app'@'%'", "reader"];
let sourceDesc: Record<string, string>;
let sourceAccounts: Record<string, string>;

beforeAll(async () => {
  loadFixture(source);
  await createCharsetRoutines(source);
  await createAccounts(source);
  facts = await factsOf(source);
  sourceDesc = await describeDatabases(source, DBS);
  sourceAccounts = await describeAccounts(source, ACCOUNTS);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}, 180_000);

async function dropTargets(sb: Sandbox, names: string[]) {
  await sb.sql("SET foreign_key_checks = 0;\n" + names.map((n) => `DROP DATABASE IF EXISTS \`${n.replace(/`/g, "``")}\`;`).join("\n"));
}

let prefix: string;

describe("logical backup set: zstd, encrypted, 4 connections", () => {

  beforeAll(async () => {
    const { ctx, logs } = testContext();
    const set = new BackupSetWriter(store, "nasty/set1/", { compression: "zstd", key, keyId: keyId(key) });
    const outcome = await logicalEngine.backup(ctx, {
      server: source.address(),
      facts,
      hostName: "nasty",
      backupId: "set1",
      set,
      filter: {},
      parallel: 4,
      includeUsers: true,
      // small chunks: the big table splits into dozens of ranges, string keys into several pages
      options: { chunkRows: 1000 },
    });
    await set.commit({ ...outcome, format: "dbbackup/1", id: "set1", host: { name: "nasty" }, compression: { algorithm: "zstd" }, encryption: { algorithm: "AES-256-GCM-chunked", keyId: keyId(key) } });
    expect(logs.join("\n")).toMatch(/Consistent snapshot .* by backup-stage/);
    prefix = "nasty/set1/";
  }, 120_000);

  it("has a manifest that maps every object, with chunked data and no raw identifiers in object names", async () => {
    const reader = await BackupSetReader.open(store, prefix, key);
    const m = reader.manifest;
    expect(m.layout).toBe("logical-set");
    expect(m.databases.map((d) => d.name)).toEqual([NASTY, OTHER]);
    for (const o of m.objects) expect(o.path).toMatch(/^(d\d+\/(schema|post-data|t\d+\/c\d{5}-\d{3})\.sql|users\.sql)\.zst\.enc$/);
    const big = m.objects.filter((o) => o.table === "big");
    expect(big.length).toBeGreaterThan(20);
    expect(big.map((o) => o.chunk).sort((a, b) => a! - b!)).toEqual(big.map((_, i) => i));
    expect(big.reduce((s, o) => s + (o.rows ?? 0), 0)).toBe(30001);
    expect(m.objects.filter((o) => o.table === "strpk").length).toBe(4); // 3500 rows in pages of 1000
    const nasty = m.databases[0]!;
    expect(nasty.tables.find((t) => t.name === "gen")!.columns).toEqual(["id", "a", "b", "inv", "inv2"]);
    expect(nasty.tables.find((t) => t.name === "nokey")!.fingerprint!.method).toBe("multiset-sha256");
    expect(nasty.tables.find((t) => t.name === "big")!.fingerprint!.method).toBe("pk-sha256");
    expect(nasty.views.sort()).toEqual(["a on z", "chk", "m on a", "qualified_v", "v_definer", "z base view"]);
    expect(nasty.routines.map((r) => r.name).sort()).toEqual(["fn ü", "p_latin1", "p_latin1_ref", "p_sjis", "proc ansi"]);
    expect(nasty.triggers.sort()).toEqual(["trg bi", "trg_au", "trg_au0"]);
    expect(nasty.events.sort()).toEqual(["ev every", "ev_once"]);
    expect(m.objects.some((o) => o.role === "users")).toBe(true);
    // what the restores are compared on: every table, view, routine, trigger, event of both databases
    expect(Object.keys(sourceDesc).filter((k) => k.startsWith("db0/checksum ")).length).toBe(nasty.tables.filter((t) => t.kind === "table").length);
    expect(Object.keys(sourceDesc).length).toBeGreaterThan(100);
  });

  it("restores into another server (another time zone) identical: checksums, counts, every SHOW CREATE, accounts", async () => {
    const reader = await BackupSetReader.open(store, prefix, key);
    const { ctx, progress } = testContext();
    const r = await restoreLogicalSet(ctx, { reader, target: target.address(), parallel: 4 });
    expect(r.databases).toEqual(DBS);
    expect(r.rows).toBe(reader.manifest.totals.rows);
    expect(progress.at(-1)).toMatchObject({ phase: "done", tablesDone: r.tables, tablesTotal: r.tables });
    expect(await describeDatabases(target, DBS)).toEqual(sourceDesc);
    expect(await describeAccounts(target, ACCOUNTS)).toEqual(sourceAccounts);
  }, 120_000);

});

describe("single SQL file replayed by the stock client", () => {
  // the gzip replay runs a client whose character set (gbk) has backslashes as second bytes
  for (const [compression, decompress, clientOptions] of [
    ["zstd", "zstd -dc", ""],
    ["gzip", "gzip -dc", "--default-character-set=gbk"],
  ] as const) {
    it(`${compression}: ${decompress} FILE | mariadb ${clientOptions} recreates everything identical`, async () => {
      const file = `nasty/dump.sql${compression === "zstd" ? ".zst" : ".gz"}`;
      const { ctx } = testContext();
      const { manifest } = await dumpToSqlFile(ctx, {
        server: source.address(),
        facts,
        store,
        key: file,
        compression,
        filter: { databases: DBS },
        parallel: 4,
        includeUsers: true,
        hostName: "nasty",
        backupId: `file-${compression}`,
        chunkRows: 1000,
      });
      const stored = fs.readFileSync(path.join(dir, file));
      expect(manifest.layout).toBe("sql-file");
      expect(manifest.objects[0]!.sha256).toBe(crypto.createHash("sha256").update(stored).digest("hex"));
      expect(JSON.parse(fs.readFileSync(path.join(dir, `${file}.manifest.json`), "utf8")).objects[0].sha256).toBe(manifest.objects[0]!.sha256);
      await dropTargets(target, DBS);
      await target.sql("DROP USER IF EXISTS 'app'@'%'; DROP ROLE IF EXISTS reader;");
      sh(`${decompress} '${path.join(dir, file)}' | ${client(target, clientOptions)}`);
      expect(await describeDatabases(target, DBS)).toEqual(sourceDesc);
      expect(await describeAccounts(target, ACCOUNTS)).toEqual(sourceAccounts);
      // the same rows as the backup set: same fingerprints
      const set = (await BackupSetReader.open(store, prefix, key)).manifest;
      expect(manifest.databases.map((d) => d.tables.map((t) => t.fingerprint))).toEqual(set.databases.map((d) => d.tables.map((t) => t.fingerprint)));
    }, 120_000);
  }

  it("streams to S3 (multipart, no local file) and replays from there", async () => {
    const s3 = await startS3();
    try {
      const s3store = new S3Store({ endpoint: s3.endpoint, bucket: s3.bucket, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, partSize: 5 * 1024 * 1024, workers: 2 });
      const { manifest } = await dumpToSqlFile(testContext().ctx, { server: source.address(), facts, store: s3store, key: "nasty/dump.sql.zst", compression: "zstd", level: 1, filter: { databases: DBS }, parallel: 4, hostName: "nasty", backupId: "s3" });
      expect((await s3Leftovers(s3)).objects.sort()).toEqual(["nasty/dump.sql.zst", "nasty/dump.sql.zst.manifest.json"]);
      expect(manifest.compression).toEqual({ algorithm: "zstd", level: 1 });
      const local = path.join(dir, "from-s3.sql.zst");
      fs.writeFileSync(local, await s3store.getBuffer("nasty/dump.sql.zst"));
      await dropTargets(target, DBS);
      sh(`zstd -dc '${local}' | ${client(target)}`);
      expect(await describeDatabases(target, DBS)).toEqual(sourceDesc);
    } finally {
      await s3.stop();
    }
  }, 120_000);
});

// last: it adds databases and grants to the source
describe("backup set restored under new names", () => {
  it("restores into the same server under new names, rewriting qualified references in every object", async () => {
    const reader = await BackupSetReader.open(store, prefix, key);
    const names = { [NASTY]: "restored `ü`; x", [OTHER]: "other_restored" };
    const { ctx } = testContext();
    await restoreLogicalSet(ctx, { reader, target: source.address(), rename: names, parallel: 3 });
    const copy = await describeDatabases(source, Object.values(names));
    expect(copy).toEqual(renamed(sourceDesc, names));
    // the originals are untouched; the account got the same grants on the copy
    expect(await describeDatabases(source, DBS)).toEqual(sourceDesc);
    const grants = (await describeAccounts(source, ["'app'@'%'"]))["'app'@'%'"]!;
    expect(grants).toContain(Buffer.from("GRANT SELECT (`id`), UPDATE (`name`) ON `restored ``ü``; x`.`parent` TO `app`@`%`").toString("latin1"));
  }, 120_000);
});
