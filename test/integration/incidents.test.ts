// Incidents in the binlog archive, found and undone, against real MariaDB: a workload with a
// DROP TABLE, a DELETE of 50,000 rows, an UPDATE without WHERE and a TRUNCATE at known instants.
// Each must be indexed (as the archive run ships its segments) with the GTID the server reported
// right after the statement, and found by `dbbackup binlog-events`. "Restore to just before" the
// DROP must reproduce the state of the instant before it; "skip only this" for the DELETE must
// reproduce what a second server shows after the same workload without that DELETE.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db/client";
import type { Sandbox } from "../../server/mysql/sandbox";
import { runCli } from "../fixtures/cli/run-cli";
import { callerAs, makeUser, useTempCatalog } from "../helpers/catalog";
import { useMariaDB } from "../helpers/mariadb";
import { archive, backupNow, fingerprint, pitrBed, shipEverything, type Bed } from "../helpers/pitr";
import { runLog, waitFor, waitForRun } from "../helpers/runs";

useTempCatalog();
const src = await useMariaDB();
const ref = await useMariaDB();
const dst = await useMariaDB();
let bed: Bed;

type Known = { gtid: string; before: Record<string, string>; at: Date };
const known: Record<"drop" | "delete" | "update" | "truncate", Known> = {} as never;
let endPosition: string;

const SETUP = `CREATE DATABASE shop;
  CREATE TABLE shop.orders (id INT PRIMARY KEY, customer INT NOT NULL, amount DECIMAL(10,2), note VARCHAR(300), placed DATETIME(6), flags BIT(5), payload BLOB);
  CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(40), tier ENUM('basic','gold','none') DEFAULT 'basic', score DOUBLE, born DATE);
  CREATE TABLE shop.items (id INT AUTO_INCREMENT PRIMARY KEY, sku CHAR(12), qty SMALLINT);
  CREATE TABLE shop.audit (id INT AUTO_INCREMENT PRIMARY KEY, what TEXT);
  INSERT INTO shop.orders SELECT seq, seq % 997, seq / 7, REPEAT('n', seq % 300), '2026-01-01 00:00:00' + INTERVAL seq SECOND, seq % 32, IF(seq % 3 = 0, NULL, UNHEX(REPEAT('AB', seq % 40))) FROM shop.seq_1_to_60000;
  INSERT INTO shop.customers SELECT seq, CONCAT('c', seq), IF(seq % 5 = 0, 'gold', 'basic'), seq * 1.5, '1980-01-01' + INTERVAL seq DAY FROM shop.seq_1_to_12000;
  INSERT INTO shop.items (sku, qty) SELECT CONCAT('sku-', seq), seq FROM shop.seq_1_to_500;
  INSERT INTO shop.audit (what) SELECT CONCAT('audit ', seq) FROM shop.seq_1_to_50;`;

// the workload between the incidents: deterministic, and later changes to orders touch only rows the
// DELETE left alone (row events replay rows, not statements: see the "skip only this" test)
const work = (i: number) => [
  `INSERT INTO shop.items (sku, qty) VALUES ('w${i}', ${i})`,
  `UPDATE shop.orders SET amount = amount + ${i} WHERE id > 50000 AND id % 100 = ${i}`,
  `INSERT INTO shop.audit (what) VALUES ('step ${i}')`,
  `UPDATE shop.customers SET score = score + ${i} WHERE id % 1000 = ${i}`,
];

async function run(sb: Sandbox, stmts: string[]) {
  for (const s of stmts) await sb.sql(s);
}
const gtidNow = async (sb: Sandbox) => (await sb.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g"))[0]!.g;

beforeAll(async () => {
  bed = await pitrBed({ src, dst });
  for (const sb of [src, ref]) await sb.sql(SETUP);
  await archive(bed, bed.hosts.src!);
  await backupNow(bed, bed.hosts.src!, ["shop"]);

  const incident = async (name: keyof typeof known, sql: string, onRef: boolean) => {
    known[name] = { gtid: "", before: await fingerprint(src, "shop"), at: new Date() };
    await src.sql(sql);
    known[name].gtid = await gtidNow(src);
    if (onRef) await ref.sql(sql);
  };
  const both = (stmts: string[]) => Promise.all([run(src, stmts), run(ref, stmts)]);

  await both(work(1));
  await incident("drop", "DROP TABLE shop.audit", true);
  await both(work(2).filter((s) => !s.includes("audit")));
  await incident("delete", "DELETE FROM shop.orders WHERE id <= 50000", false);
  await both(work(3).filter((s) => !s.includes("audit")));
  await incident("update", "UPDATE shop.customers SET tier = 'none'", true);
  await both(work(4).filter((s) => !s.includes("audit")));
  await incident("truncate", "TRUNCATE TABLE shop.items", true);
  await both([...work(5), ...work(6)].filter((s) => !s.includes("audit")));
  const [st] = await src.sql<{ File: string; Position: string }>("SHOW MASTER STATUS");
  endPosition = `${st!.File}:${st!.Position}`;
  await shipEverything(src, bed.hosts.src!);
}, 240_000);

const incidentsOf = () => db().binlogIncident.findMany({ where: { hostId: bed.hosts.src! }, orderBy: { startPos: "asc" } });

describe("the incident index", () => {
  it("indexes each incident as its segment is archived, with the GTID the server reported and its table", async () => {
    const rows = await waitFor(async () => {
      const r = await incidentsOf();
      return r.some((x) => x.kind === "truncate_table") ? r : null;
    }, 30_000, "the incidents to be indexed");
    const by = (kind: string) => rows.filter((r) => r.kind === kind);
    expect(by("drop_table")).toHaveLength(1);
    expect(by("drop_table")[0]).toMatchObject({ gtid: known.drop.gtid, tableName: "shop.audit", schemaName: "shop" });
    expect(by("drop_table")[0]!.statement).toMatch(/^DROP TABLE/);
    expect(by("mass_delete")).toHaveLength(1);
    expect(by("mass_delete")[0]).toMatchObject({ gtid: known.delete.gtid, tableName: "shop.orders", rowCount: 50_000 });
    expect(by("mass_delete")[0]!.statement).toContain("DELETE FROM shop.orders WHERE id <= 50000");
    expect(by("mass_update")).toHaveLength(1);
    expect(by("mass_update")[0]).toMatchObject({ gtid: known.update.gtid, tableName: "shop.customers", rowCount: 12_000 });
    expect(by("truncate_table")).toHaveLength(1);
    expect(by("truncate_table")[0]).toMatchObject({ gtid: known.truncate.gtid, tableName: "shop.items" });
    // the small UPDATEs and INSERTs of the workload are not incidents, nor is the setup (before the archive? it is archived too: 60,000 inserts are no DELETE/UPDATE)
    expect(rows.map((r) => r.kind).sort()).toEqual(["drop_table", "mass_delete", "mass_update", "truncate_table"]);
    for (const r of rows) {
      // a DDL's QUERY event names its thread; MariaDB's row transactions carry none (no BEGIN event)
      if (r.kind.endsWith("_table")) expect(r.threadId).toBeGreaterThan(0);
      // committed within the workload (the binlog has whole seconds)
      expect(r.occurredAt.getTime()).toBeGreaterThanOrEqual(Math.floor(known.drop.at.getTime() / 1000) * 1000);
    }
  });

  it("searches by table, kind and time through the API, as a viewer", async () => {
    const viewer = callerAs(await makeUser("viewer"));
    const orders = await viewer.incidents.list({ hostId: bed.hosts.src!, table: "shop.orders" });
    expect(orders.incidents.map((i) => i.kind)).toEqual(["mass_delete"]);
    const ddl = await viewer.incidents.list({ hostId: bed.hosts.src!, kinds: ["drop_table", "truncate_table"] });
    expect(ddl.incidents.map((i) => i.table)).toEqual(["shop.audit", "shop.items"]);
    const none = await viewer.incidents.list({ hostId: bed.hosts.src!, until: new Date(known.drop.at.getTime() - 60_000).toISOString() });
    expect(none.incidents).toEqual([]);
  });

  it("backfills an archive indexed before: a reindex run reads every segment again and finds the same", async () => {
    const before = (await incidentsOf()).map((r) => `${r.kind} ${r.gtid} ${r.tableName} ${r.rowCount}`);
    await db().binlogIncident.deleteMany({ where: { hostId: bed.hosts.src! } });
    await db().binlogIncidentScan.deleteMany({});
    const op = callerAs(await makeUser("operator"));
    const r = await op.incidents.reindex({ hostId: bed.hosts.src! });
    const done = await waitForRun(r.id, 60_000);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    expect((await incidentsOf()).map((x) => `${x.kind} ${x.gtid} ${x.tableName} ${x.rowCount}`)).toEqual(before);
    expect(await db().auditEvent.count({ where: { action: "incidents.reindex" } })).toBe(1);
  });

  it("dbbackup binlog-events finds them in the archive directory and in the server's own binlog files", async () => {
    const archiveDir = path.join(bed.storeDir, "src", "binlog");
    const res = await runCli(["binlog-events", "--binlogs", archiveDir, "--table", "shop.orders", "--json"]);
    expect(res.code, res.stderr).toBe(0);
    const j = JSON.parse(res.stdout) as { incidents: { kind: string; gtid: string; tables: string[]; rows: number }[]; scannedBytes: number };
    expect(j.incidents.map((i) => [i.kind, i.gtid, i.tables, i.rows])).toEqual([["mass_delete", known.delete.gtid, ["shop.orders"], 50_000]]);
    expect(j.scannedBytes).toBeGreaterThan(1_000_000);
    // a transaction larger than the threshold is one too (the 50,000-row DELETE is megabytes of row images)
    const big = await runCli(["binlog-events", "--binlogs", archiveDir, "--kind", "large_transaction", "--transaction-bytes", "500000", "--since", new Date(Math.floor(known.drop.at.getTime() / 1000) * 1000).toISOString(), "--json"]);
    expect(big.code, big.stderr).toBe(0);
    const bigs = (JSON.parse(big.stdout) as { incidents: { gtid: string; rows: number; bytes: number }[] }).incidents;
    expect(bigs.map((i) => i.gtid)).toContain(known.delete.gtid);
    expect(bigs.find((i) => i.gtid === known.delete.gtid)!.bytes).toBeGreaterThan(500_000);

    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-incident-binlogs-"));
    try {
      for (const f of fs.readdirSync(src.datadir).filter((n) => /^binlog\.\d+$/.test(n))) fs.copyFileSync(path.join(src.datadir, f), path.join(copy, f));
      const text = await runCli(["binlog-events", "--binlogs", copy, "--kind", "drop_table,truncate_table", "--since", new Date(known.drop.at.getTime() - 2000).toISOString()]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`drop_table\\s+shop\\.audit\\s+GTID ${known.drop.gtid}\\b`));
      expect(text.stdout).toMatch(new RegExp(`truncate_table\\s+shop\\.items\\s+GTID ${known.truncate.gtid}\\b`));
      expect(text.stdout).not.toMatch(/mass_delete/);
      const bad = await runCli(["binlog-events", "--binlogs", copy, "--kind", "explode"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--kind explode: not a kind/);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe("undoing an incident", () => {
  const incidentRow = async (kind: string) => (await db().binlogIncident.findFirstOrThrow({ where: { hostId: bed.hosts.src!, kind } }));

  it("shows the plan, then restores to just before the DROP: the state of the instant before it", async () => {
    const op = callerAs(await makeUser("operator"));
    const drop = await incidentRow("drop_table");
    const plan = await op.incidents.restorePlan({ incidentId: drop.id, action: "before" });
    expect(plan.untilPosition).toBe(`${drop.fileName}:${drop.startPos}`);
    expect(plan.summary).toMatch(/just before GTID/);
    const run = await op.pitr.start({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, untilPosition: plan.untilPosition, databases: ["shop"], parallel: 2 });
    const done = await waitForRun(run.id, 180_000);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    expect(await fingerprint(dst, "shop")).toEqual(known.drop.before);
  });

  it("skips only the DELETE: every other later change is there, as on a server that never ran it", async () => {
    const op = callerAs(await makeUser("operator"));
    const del = await incidentRow("mass_delete");
    const plan = await op.incidents.restorePlan({ incidentId: del.id, action: "skip" });
    expect(plan.skipGtid).toBe(known.delete.gtid);
    const run = await op.pitr.start({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, untilPosition: plan.untilPosition, skipGtid: plan.skipGtid ?? undefined, databases: ["shop"], dropExisting: true, parallel: 2 });
    const done = await waitForRun(run.id, 180_000);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    expect(await runLog(done.id)).toContain(`GTID ${known.delete.gtid}), as asked`);
    const expected = await fingerprint(ref, "shop");
    expect(await fingerprint(dst, "shop")).toEqual(expected);
    // and it is not simply the source's state: the 50,000 rows are back
    const [{ n }] = (await dst.sql<{ n: number }>("SELECT COUNT(*) AS n FROM shop.orders")) as [{ n: number }];
    expect(Number(n)).toBe(60_000);
    // the whole archive was replayed: at least up to the last workload transaction
    const [f, p] = endPosition.split(":");
    expect(plan.untilPosition.localeCompare(`${f}:`) >= 0 && (plan.untilPosition.startsWith(`${f}:`) ? Number(plan.untilPosition.split(":")[1]) >= Number(p) : true)).toBe(true);
  });

  it("refuses to skip a transaction the base backup already holds", async () => {
    const op = callerAs(await makeUser("operator"));
    await expect(op.pitr.start({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, untilPosition: endPosition, skipGtid: "0-1-1", databases: ["shop"], dropExisting: true })).rejects.toThrow(/already in backup/);
  });
});

describe("table-level recovery", () => {
  it("restores one table to just before the UPDATE next to the live one, compares them, and its repair SQL makes the live table equal", async () => {
    const op = callerAs(await makeUser("operator"));
    const upd = await db().binlogIncident.findFirstOrThrow({ where: { hostId: bed.hosts.src!, kind: "mass_update" } });
    const run = await op.incidents.tableRestore({ hostId: bed.hosts.src!, tables: ["shop.customers"], untilPosition: `${upd.fileName}:${upd.startPos}` });
    const done = await waitForRun(run.id, 180_000);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    // the restored copy is the table as it was at that instant; the scratch database is gone
    const now = await fingerprint(src, "shop");
    expect(now.customers_restored).toBe(known.update.before.customers);
    const dbs = (await src.sql<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'shop%'")).map((r) => r.n);
    expect(dbs).toEqual(["shop"]);
    // every customer's tier differs (the UPDATE without WHERE); none is missing on either side
    const cmp = JSON.parse(done.result!) as { tables: { table: string; onlyLive: number; onlyRestored: number; changed: number; same: number }[] };
    expect(cmp.tables).toEqual([{ table: "shop.customers", restoredAs: "shop.customers_restored", onlyLive: 0, onlyRestored: 0, changed: 12_000, same: 0 }]);

    let sql = Buffer.alloc(0);
    for (let offset = 0; ; ) {
      const c = await op.incidents.repairSql({ runId: run.id, offset });
      sql = Buffer.concat([sql, Buffer.from(c.base64, "base64")]);
      offset += Buffer.from(c.base64, "base64").length;
      if (c.done) break;
    }
    expect(sql.toString()).toMatch(/^-- Repair SQL/);
    expect(sql.toString().match(/^UPDATE /gm)).toHaveLength(12_000);
    await src.sql(sql.toString());
    const repaired = await fingerprint(src, "shop");
    expect(repaired.customers).toBe(repaired.customers_restored);
    await expect(callerAs(await makeUser("viewer")).incidents.repairSql({ runId: run.id, offset: 0 })).rejects.toThrow(/operator/);
  });
});

describe("the row threshold of a policy", () => {
  it("a policy archiving the host with a lower threshold makes the workload's small UPDATEs incidents too", async () => {
    const op = callerAs(await makeUser("operator"));
    await op.policies.create({ name: "low-threshold", hostId: bed.hosts.src!, targetId: bed.targetId, engine: "logical", databases: ["shop"], schedule: "0 3 * * *", retention: { keepLast: 3 }, binlogArchiving: true, incidentRows: 10 });
    expect((await db().policy.findFirstOrThrow({ where: { name: "low-threshold" } })).incidentRows).toBe(10);
    await db().binlogIncident.deleteMany({ where: { hostId: bed.hosts.src! } });
    await db().binlogIncidentScan.deleteMany({});
    const done = await waitForRun((await op.incidents.reindex({ hostId: bed.hosts.src! })).id, 60_000);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    expect(await runLog(done.id)).toMatch(/DELETE\/UPDATE over 10 rows/);
    // UPDATE ... WHERE id % 1000 = i changes 12 customers: over 10, so an incident now
    const small = await db().binlogIncident.findMany({ where: { hostId: bed.hosts.src!, kind: "mass_update", tableName: "shop.customers", rowCount: 12 } });
    expect(small.length).toBeGreaterThanOrEqual(5);
  });
});
