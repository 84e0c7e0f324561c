import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetWriter } from "../../server/artifact/backup-set";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import type { Compression } from "../../server/artifact/compression";
import { keyId } from "../../server/artifact/encryption";
import { logicalEngine } from "../../server/engines/logical";
import type { DomainError } from "../../server/errors";
import { restoreLogicalSet } from "../../server/restore/logical";
import { applyObject } from "../../server/restore/logical/apply-object";
import { LocalStore } from "../../server/storage/local-store";
import { useMariaDB } from "../helpers/mariadb";
import { factsOf, testContext } from "../helpers/logical";

const [source, target, lockTarget] = await Promise.all([useMariaDB(), useMariaDB(), useMariaDB()]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-logical-restore-"));
const store = new LocalStore(dir);
const key = crypto.randomBytes(32);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function dump(id: string, compression: Compression, k: Buffer | null) {
  const set = new BackupSetWriter(store, `shop/${id}/`, { compression, key: k });
  const facts = await factsOf(source);
  const outcome = await logicalEngine.backup(testContext().ctx, { server: source.address(), facts, hostName: "shop", backupId: id, set, filter: { databases: ["shop", "crm"] }, parallel: 2, options: { chunkRows: 2000 } });
  await set.commit({ ...outcome, format: "dbbackup/1", id, host: { name: "shop" }, compression: { algorithm: compression }, encryption: k ? { algorithm: "AES-256-GCM-chunked", keyId: keyId(k) } : null });
}

async function checksums(sb: typeof source, db: string) {
  return sb.sql<{ Table: string; Checksum: string }>(`CHECKSUM TABLE \`${db}\`.orders, \`${db}\`.customers EXTENDED`).then((r) => r.map((x) => String(x.Checksum)));
}

async function failure(p: Promise<unknown>): Promise<DomainError> {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect(e, "the restore should have failed").toBeInstanceOf(Error);
  return e as DomainError;
}

beforeAll(async () => {
  await source.sql(`CREATE DATABASE shop; CREATE DATABASE crm;
    CREATE TABLE shop.customers (id INT NOT NULL PRIMARY KEY, name VARCHAR(50), KEY (name));
    CREATE TABLE shop.orders (id INT NOT NULL PRIMARY KEY, customer INT NOT NULL, total DECIMAL(10,2), note TEXT, KEY (customer));
    INSERT INTO shop.customers SELECT seq, CONCAT('customer ', seq) FROM shop.seq_1_to_1000;
    INSERT INTO shop.orders SELECT seq, seq % 1000 + 1, seq / 100, REPEAT('x', seq % 300) FROM shop.seq_1_to_20000;
    CREATE TABLE crm.contacts (id INT NOT NULL PRIMARY KEY, email VARCHAR(100));
    INSERT INTO crm.contacts SELECT seq, CONCAT('c', seq, '@example.com') FROM crm.seq_1_to_100;`);
  await dump("zstd-enc", "zstd", key);
  await dump("zstd", "zstd", null);
  await dump("plain", "none", null);
}, 120_000);

describe("restore of a logical backup set", () => {
  it("runs a data statement again when InnoDB picks it as a deadlock victim, and the table ends up exact", async () => {
    await lockTarget.sql(`CREATE DATABASE crm; CREATE TABLE crm.contacts (id INT NOT NULL PRIMARY KEY, email VARCHAR(100));
      CREATE TABLE crm.heavy (id INT NOT NULL PRIMARY KEY)`);
    const reader = await BackupSetReader.open(store, "shop/plain/");
    const obj = reader.manifest.objects.find((o) => o.role === "data" && o.database === "crm" && o.table === "contacts")!;
    const deadlocks = async () => Number((await lockTarget.sql<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'"))[0]!.Value);
    const deadlocksBefore = await deadlocks();
    // another session holds row 50 in a transaction made heavy (InnoDB rolls back the lighter side)
    const other = await lockTarget.connect();
    await other.query("BEGIN");
    await other.query("INSERT INTO crm.heavy SELECT seq FROM crm.seq_1_to_5000");
    await other.query("INSERT INTO crm.contacts VALUES (50, 'held')");
    const loader = await lockTarget.connect();
    await loader.query("USE crm");
    const [{ id }] = await loader.query("SELECT CONNECTION_ID() AS id").then(([r]) => r as { id: number }[]);
    const applied = applyObject(loader, reader, obj, lockTarget.address());
    // the loader's INSERT (rows 1..100 in key order) now waits for row 50 while holding rows 1..49;
    // an INSERT of 100 rows that is still running after 300 ms is waiting
    const waiting = async () =>
      Number((await lockTarget.sql<{ n: string }>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE 'INSERT%' AND TIME_MS > 300", [id]))[0]!.n);
    for (let i = 0; i < 100 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await waiting()).toBe(1);
    // closing the cycle: the other session wants row 1, the loader's; the loader is the victim
    await other.query("INSERT INTO crm.contacts VALUES (1, 'other')");
    await other.query("ROLLBACK");
    await other.end();
    await applied;
    await loader.end();
    expect(await deadlocks()).toBe(deadlocksBefore + 1);
    const sum = (sb: typeof source) => sb.sql<{ Checksum: string }>("CHECKSUM TABLE crm.contacts EXTENDED").then((r) => String(r[0]!.Checksum));
    expect(await sum(lockTarget)).toBe(await sum(source));
    expect(Number((await lockTarget.sql<{ n: string }>("SELECT COUNT(*) AS n FROM crm.contacts"))[0]!.n)).toBe(100);
  });

  it("a data statement the server rejects fails with the server's words and the object's name, and the connection goes on", async () => {
    // every row breaks this CHECK: the first INSERT of the object fails on the server
    await target.sql("CREATE DATABASE rej; CREATE TABLE rej.orders (id INT NOT NULL PRIMARY KEY, customer INT NOT NULL, total DECIMAL(10,2), note TEXT, CONSTRAINT negative CHECK (total < 0))");
    const reader = await BackupSetReader.open(store, "shop/zstd/");
    const obj = reader.manifest.objects.find((o) => o.role === "data" && o.table === "orders")!;
    const loader = await target.connect();
    await loader.query("USE rej");
    const e = await failure(applyObject(loader, reader, obj, target.address()));
    expect(e.message).toContain(obj.path);
    expect(e.message).toMatch(/failed at statement 1 \(insert\): CONSTRAINT `negative` failed/);
    // the failed statement changed nothing, and the session is still usable
    const [rows] = await loader.query("SELECT COUNT(*) AS n FROM rej.orders");
    expect(Number((rows as { n: number }[])[0]!.n)).toBe(0);
    await loader.end();
    await target.sql("DROP DATABASE rej");
  });

  it("refuses a target database that exists, before touching anything", async () => {
    await target.sql("CREATE DATABASE shop; CREATE TABLE shop.keep_me (id INT); INSERT INTO shop.keep_me VALUES (42);");
    const reader = await BackupSetReader.open(store, "shop/zstd-enc/", key);
    const e = await failure(restoreLogicalSet(testContext().ctx, { reader, target: target.address() }));
    expect(e.code).toBe("CONFLICT");
    expect(e.message).toMatch(/127\.0\.0\.1:\d+ already has database `shop`.*Nothing was changed/);
    expect(await target.sql("SHOW TABLES FROM shop")).toEqual([{ Tables_in_shop: "keep_me" }]);
    // the other database of the backup was not created either
    expect((await target.sql("SHOW DATABASES LIKE 'crm'")).length).toBe(0);
  });

  it("replaces it when dropExisting is set", async () => {
    const reader = await BackupSetReader.open(store, "shop/zstd-enc/", key);
    const r = await restoreLogicalSet(testContext().ctx, { reader, target: target.address(), dropExisting: true, parallel: 4 });
    expect(r).toMatchObject({ databases: ["crm", "shop"], tables: 3, rows: 21100 });
    expect((await target.sql("SHOW TABLES FROM shop")).map((x) => Object.values(x)[0]).sort()).toEqual(["customers", "orders"]);
    expect(await checksums(target, "shop")).toEqual(await checksums(source, "shop"));
  });

  it("restores one database under another name, reporting progress", async () => {
    const reader = await BackupSetReader.open(store, "shop/zstd/");
    const { ctx, progress } = testContext();
    const r = await restoreLogicalSet(ctx, { reader, target: target.address(), databases: ["shop"], rename: { shop: "shop_copy" } });
    expect(r.databases).toEqual(["shop_copy"]);
    expect(await checksums(target, "shop_copy")).toEqual(await checksums(source, "shop"));
    expect(progress.some((p) => p.phase === "data" && (p.rowsDone ?? 0) > 0)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ phase: "done", rowsDone: 21000, rowsTotal: 21000, tablesDone: 2, tablesTotal: 2 });
    expect(progress.at(-1)!.bytesDone).toBe(progress.at(-1)!.bytesTotal);
  });

  it("names a database the backup does not have", async () => {
    const reader = await BackupSetReader.open(store, "shop/zstd/");
    const e = await failure(restoreLogicalSet(testContext().ctx, { reader, target: target.address(), databases: ["shop", "billing"] }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toContain("`billing`");
  });

  it("with writeBinlog false, writes nothing to the target's binary log", async () => {
    const before = await target.sql<{ File: string; Position: number }>("SHOW MASTER STATUS");
    const reader = await BackupSetReader.open(store, "shop/zstd/");
    await restoreLogicalSet(testContext().ctx, { reader, target: target.address(), rename: { shop: "shop_nolog", crm: "crm_nolog" }, writeBinlog: false });
    expect(await target.sql("SHOW MASTER STATUS")).toEqual(before);
    expect(await checksums(target, "shop_nolog")).toEqual(await checksums(source, "shop"));
  });

  for (const [id, k] of [
    ["zstd-enc", key],
    ["zstd", null],
    ["plain", null],
  ] as const) {
    it(`fails on a corrupted data object (${id}) and names the object`, async () => {
      // a copy of the set with one byte flipped in the middle of a data object
      const copy = `shop/${id}-corrupt/`;
      fs.cpSync(path.join(dir, `shop/${id}`), path.join(dir, copy), { recursive: true });
      const reader = await BackupSetReader.open(store, copy, k);
      const victim = reader.manifest.objects.filter((o) => o.role === "data" && o.table === "orders").sort((a, b) => b.size - a.size)[0]!;
      const file = path.join(dir, copy, victim.path);
      const bytes = fs.readFileSync(file);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x20;
      fs.writeFileSync(file, bytes);
      const e = await failure(restoreLogicalSet(testContext().ctx, { reader, target: target.address(), rename: { shop: `shop_${id.replace(/-/g, "_")}`, crm: `crm_${id.replace(/-/g, "_")}` } }));
      expect(e.message).toContain(file);
      expect(e.message).toMatch(/corrupted|failed authentication/);
    });
  }
});
