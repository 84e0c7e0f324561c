import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetWriter } from "../../server/artifact/backup-set";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import type { Manifest } from "../../server/artifact/manifest";
import { fingerprintTable, logicalEngine } from "../../server/engines/logical";
import type { ServerFacts } from "../../server/mysql/server-facts";
import { restoreLogicalSet } from "../../server/restore/logical";
import { LocalStore } from "../../server/storage/local-store";
import { factsOf, loadFixture, NASTY, OTHER, sandboxInZone, testContext } from "../helpers/logical";

const [source, target] = await Promise.all([sandboxInZone("+05:30"), sandboxInZone("+09:00")]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-logical-fp-"));
const store = new LocalStore(dir);
let facts: ServerFacts;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function dump(id: string, parallel: number, chunkRows: number): Promise<Manifest> {
  const set = new BackupSetWriter(store, `fp/${id}/`, { compression: "zstd", key: null });
  const outcome = await logicalEngine.backup(testContext().ctx, { server: source.address(), facts, hostName: "fp", backupId: id, set, filter: {}, parallel, options: { chunkRows } });
  return (await set.commit({ ...outcome, format: "dbbackup/1", id, host: { name: "fp" }, compression: { algorithm: "zstd" }, encryption: null })).manifest;
}

function tablesOf(m: Manifest) {
  return m.databases.flatMap((d) => d.tables.filter((t) => t.kind === "table").map((t) => ({ db: d.name, t })));
}

let manifest: Manifest;
let copy: mysql.Connection;

beforeAll(async () => {
  loadFixture(source);
  facts = await factsOf(source);
  manifest = await dump("a", 4, 1000);
  await restoreLogicalSet(testContext().ctx, { reader: await BackupSetReader.open(store, "fp/a/"), target: target.address(), parallel: 4 });
  copy = await target.connect();
  return () => copy.end();
}, 180_000);

describe("table fingerprints", () => {
  it("cover every table of the nasty fixture with both methods", () => {
    const methods = new Set(tablesOf(manifest).map(({ t }) => t.fingerprint?.method));
    expect(methods).toEqual(new Set(["pk-sha256", "multiset-sha256"]));
    for (const { t } of tablesOf(manifest)) if (t.engine !== "MEMORY" || t.rows) expect(t.fingerprint, t.name).not.toBeNull();
  });

  it("do not depend on how the dump was chunked or how many connections read it", async () => {
    const other = await dump("b", 1, 7000);
    const fp = (m: Manifest) => Object.fromEntries(tablesOf(m).map(({ db, t }) => [`${db}.${t.name}`, t.fingerprint]));
    expect(fp(other)).toEqual(fp(manifest));
  }, 120_000);

  it("recomputed on the restored copy (without the source) equal the manifest's, rows included", async () => {
    for (const { db, t } of tablesOf(manifest)) {
      const fp = await fingerprintTable(copy, db, t.name, t);
      expect(fp, `${db}.${t.name}`).toEqual(t.fingerprint);
      const [[n]] = (await copy.query(`SELECT COUNT(*) AS n FROM \`${db.replace(/`/g, "``")}\`.\`${t.name.replace(/`/g, "``")}\``)) as unknown as [{ n: number }[]];
      expect(Number(n!.n), `${db}.${t.name}`).toBe(t.rows);
    }
  }, 60_000);

  it("leave the connection's session as it was", async () => {
    await copy.query("SET SESSION time_zone = '+02:00', sql_mode = 'ANSI_QUOTES'");
    const t = tablesOf(manifest).find(({ t }) => t.name === "tm")!;
    await fingerprintTable(copy, t.db, "tm", t.t);
    const [[s]] = (await copy.query("SELECT @@session.time_zone AS tz, @@session.sql_mode AS m, @@session.character_set_results AS r")) as unknown as [{ tz: string; m: string; r: string }[]];
    expect(s).toEqual({ tz: "+02:00", m: "ANSI_QUOTES", r: "utf8mb4" });
    await copy.query("SET SESSION time_zone = DEFAULT, sql_mode = DEFAULT");
  });

  const q = (n: string) => "`" + n.replace(/`/g, "``") + "`";
  for (const [label, db, table, change, undo] of [
    ["one byte of one row (integer key, 30 chunks)", NASTY, "big", "UPDATE big SET pad = CONCAT(pad, 'x') WHERE id = 12345", "UPDATE big SET pad = LEFT(pad, LENGTH(pad) - 1) WHERE id = 12345"],
    ["one bit of a 1 MB blob", NASTY, "bin", "UPDATE bin SET lb = CONCAT(LEFT(lb, 500000), CHAR(ASCII(SUBSTR(lb, 500001, 1)) ^ 1), SUBSTR(lb, 500002)) WHERE id = 1", "UPDATE bin SET lb = CONCAT(LEFT(lb, 500000), CHAR(ASCII(SUBSTR(lb, 500001, 1)) ^ 1), SUBSTR(lb, 500002)) WHERE id = 1"],
    ["one row of a table without a key (multiset)", NASTY, "nokey", "UPDATE nokey SET b = 'y' WHERE a = 2 AND b IS NULL", "UPDATE nokey SET b = NULL WHERE a = 2 AND b = 'y'"],
    ["a string key's case (keyset pages)", NASTY, "strpk", "UPDATE strpk SET k = 'a1' WHERE k = 'A1'", "UPDATE strpk SET k = 'A1' WHERE k = 'a1'"],
    ["the last bit of a DOUBLE", NASTY, "nums", "UPDATE nums SET dbl = 4.9e-324 * 2 WHERE id = 2", "UPDATE nums SET dbl = 4.9e-324 WHERE id = 2"],
    ["a TIMESTAMP by one microsecond", NASTY, "tm", "UPDATE tm SET ts = ts + INTERVAL 1 MICROSECOND, tsd = tsd WHERE id = 1", "UPDATE tm SET ts = ts - INTERVAL 1 MICROSECOND, tsd = tsd WHERE id = 1"],
    ["one latin1 row of another database", OTHER, "o", "UPDATE o SET txt = 'Grüsse' WHERE id = 1", "UPDATE o SET txt = 'Grüße' WHERE id = 1"],
  ] as const) {
    it(`change when ${label} changes, and come back when it is undone`, async () => {
      const t = tablesOf(manifest).find((x) => x.db === db && x.t.name === table)!.t;
      await copy.query(`USE ${q(db)}`);
      await copy.query(change);
      const changed = await fingerprintTable(copy, db, table, t);
      expect(changed.rows).toBe(t.rows);
      expect(changed.hash).not.toBe(t.fingerprint!.hash);
      await copy.query(undo);
      expect(await fingerprintTable(copy, db, table, t)).toEqual(t.fingerprint);
    });
  }

  it("change when a row is deleted or duplicated", async () => {
    const t = tablesOf(manifest).find((x) => x.t.name === "nokey")!.t;
    await copy.query(`USE ${q(NASTY)}`);
    await copy.query("INSERT INTO nokey VALUES (1, 'x', NULL)");
    const more = await fingerprintTable(copy, NASTY, "nokey", t);
    expect(more.rows).toBe(t.rows + 1);
    expect(more.hash).not.toBe(t.fingerprint!.hash);
    await copy.query("DELETE FROM nokey WHERE a = 1 AND b = 'x' LIMIT 1");
    expect(await fingerprintTable(copy, NASTY, "nokey", t)).toEqual(t.fingerprint);
  });
});
