// A point-in-time recovery drill: binlogs archived continuously by the archive run kind, a logical
// base backup by the backup run kind, a workload in phases (DML of every kind, DDL in the middle,
// multi-statement transactions, BLOB/JSON/DECIMAL/DATETIME(6) values, a statement-based update,
// a transaction that spans an instant), and restores to each marked instant by time, by GTID and
// by position through the pitr run kind into a second server. Each restore must reproduce exactly
// the source's state at that instant.
//
// Each phase starts in a new wall-clock second and its instant is the second it ended in, so "the
// state at 12:00:20" is well defined to the second.
import { beforeAll, describe, expect, it } from "vitest";
import { db, parseJson } from "../../server/db/client";
import { useTempCatalog } from "../helpers/catalog";
import { useMariaDB } from "../helpers/mariadb";
import { runLog, sleep } from "../helpers/runs";
import { archive, backupNow, fingerprint, mark, pitrBed, pitrRun, shipEverything, type Bed, type Mark } from "../helpers/pitr";

useTempCatalog();
const src = await useMariaDB();
const dst = await useMariaDB();
let bed: Bed;
let backupId: string;
const marks: Mark[] = [];

/** Sleeps into the next wall-clock second and returns it (seconds since the epoch). */
async function nextSecond(): Promise<number> {
  const s = Math.floor(Date.now() / 1000);
  await sleep(1000 - (Date.now() % 1000) + 15);
  while (Math.floor(Date.now() / 1000) <= s) await sleep(5);
  return Math.floor(Date.now() / 1000);
}
/** The instant after a phase: every commit of it happened at or before this second. */
const thisSecond = () => new Date(Math.floor(Date.now() / 1000) * 1000);

beforeAll(async () => {
  bed = await pitrBed({ src, dst });
  await src.sql(`CREATE DATABASE shop; USE shop;
    CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(80) NOT NULL, email VARCHAR(120), created DATETIME(6));
    CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, note TEXT, placed DATETIME(6), meta JSON, receipt BLOB, KEY (customer_id));
    INSERT INTO customers SELECT seq, CONCAT('customer ', seq), CONCAT('c', seq, '@example.test'), '2026-01-01 00:00:00.000001' + INTERVAL seq SECOND FROM seq_1_to_200;
    INSERT INTO orders (customer_id, amount, note, placed, meta, receipt) SELECT seq % 200 + 1, seq * 1.25, CONCAT('order ', seq), '2026-02-01 10:00:00.123456' + INTERVAL seq MINUTE, JSON_OBJECT('n', seq, 'tags', JSON_ARRAY('a', seq)), UNHEX(SHA2(seq, 256)) FROM seq_1_to_1000;`);
  // archiving starts mid-file (at the server's current position), as it does for a running server
  await archive(bed, bed.hosts.src!);
  backupId = (await backupNow(bed, bed.hosts.src!)).id;

  const w = await src.connect({ database: "shop" });
  try {
    // phase 1: inserts, a multi-statement transaction, every awkward type
    await nextSecond();
    await w.query("INSERT INTO shop.customers VALUES (201, 'Zoë Ångström', 'zoe@example.test', '2026-03-01 12:00:00.654321'), (202, 'O''Brien', NULL, NULL)");
    await w.query(`BEGIN;
      INSERT INTO shop.orders (customer_id, amount, note, placed, meta, receipt) VALUES (201, 99999999.99, 'big', '2026-03-01 12:00:01.000001', '{"k": [1, 2, {"x": null}]}', RANDOM_BYTES(1000));
      INSERT INTO shop.orders (customer_id, amount, note, placed, meta, receipt) VALUES (202, -0.01, 'tiny', '2026-03-01 12:00:02.999999', '"just a string"', X'00FF00FF');
      UPDATE shop.customers SET email = 'zoe+1@example.test' WHERE id = 201;
      COMMIT`);
    marks.push(await mark(src, "inserts", thisSecond(), "shop"));

    // phase 2: updates and deletes, then a column added in the middle and used
    await nextSecond();
    await w.query("UPDATE shop.orders SET amount = amount * 1.10 WHERE id % 2 = 0");
    await w.query("DELETE FROM shop.orders WHERE id % 7 = 0");
    await w.query("ALTER TABLE shop.orders ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'new' AFTER amount");
    await w.query("UPDATE shop.orders SET status = 'paid' WHERE id % 3 = 0");
    marks.push(await mark(src, "after ALTER TABLE ADD COLUMN", thisSecond(), "shop"));

    // phase 3: a renamed table, a new table, a statement-based update, a transaction across tables
    await nextSecond();
    await w.query("RENAME TABLE shop.customers TO shop.clients");
    await w.query("CREATE TABLE shop.audit (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6) NOT NULL, doc JSON, amount DECIMAL(20,6), raw LONGBLOB)");
    await w.query("SET SESSION binlog_format = 'STATEMENT'");
    await w.query("UPDATE shop.clients SET name = CONCAT(name, ' (vip)') WHERE id <= 5");
    await w.query("SET SESSION binlog_format = 'ROW'");
    await w.query(`BEGIN;
      INSERT INTO shop.audit (at, doc, amount, raw) VALUES ('2026-04-01 00:00:00.000001', JSON_OBJECT('what', 'refund', 'order', 3), 12345678901234.123456, RANDOM_BYTES(100000));
      UPDATE shop.orders SET status = 'refunded', amount = 0 WHERE id = 3;
      DELETE FROM shop.clients WHERE id = 202;
      COMMIT`);
    marks.push(await mark(src, "after RENAME TABLE and CREATE TABLE", thisSecond(), "shop"));

    // phase 4: a big transaction (several round trips of row events) and an index change
    await nextSecond();
    await w.query("INSERT INTO shop.orders (customer_id, amount, status, note, placed, meta) SELECT seq % 200 + 1, seq / 100, 'bulk', REPEAT('x', 200), '2026-05-01 00:00:00' + INTERVAL seq SECOND, JSON_OBJECT('bulk', seq) FROM seq_1_to_20000");
    await w.query("ALTER TABLE shop.clients ADD INDEX by_email (email)");
    marks.push(await mark(src, "after a 20000-row transaction", thisSecond(), "shop"));

    // phase 5: a transaction that begins before an instant and commits after it
    const other = await src.connect();
    try {
      await nextSecond();
      await w.query("BEGIN");
      await w.query("INSERT INTO shop.orders (id, customer_id, amount, note) VALUES (900001, 1, 1, 'spanning: first statement')");
      await nextSecond();
      await other.query("INSERT INTO shop.orders (id, customer_id, amount, note) VALUES (900002, 2, 2, 'committed inside the window')");
      marks.push(await mark(src, "while a transaction is open", thisSecond(), "shop"));
      await nextSecond();
      await w.query("INSERT INTO shop.orders (id, customer_id, amount, note) VALUES (900003, 3, 3, 'spanning: last statement')");
      await w.query("COMMIT");
      marks.push(await mark(src, "after it committed", thisSecond(), "shop"));
    } finally {
      await other.end();
    }
  } finally {
    await w.end();
  }
  await shipEverything(src, bed.hosts.src!);
}, 240_000);

describe("point-in-time restore drill (logical base + archived binlogs)", () => {
  it("the marks are distinct states, so each restore proves something", () => {
    const fps = marks.map((m) => JSON.stringify(m.fp));
    expect(new Set(fps).size).toBe(marks.length);
  });

  for (const kind of ["time", "gtid", "position"] as const) {
    it(`restores to every instant by ${kind}, reproducing the source's state exactly`, async () => {
      for (const m of marks) {
        const until = kind === "time" ? { until: m.time.toISOString() } : kind === "gtid" ? { untilGtid: m.gtid } : { untilPosition: m.position };
        const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, ...until, dropExisting: true });
        expect(run.state, `${m.label} by ${kind}: ${run.error}\n${await runLog(run.id)}`).toBe("succeeded");
        expect(await fingerprint(dst, "shop"), `${m.label} by ${kind}`).toEqual(m.fp);
      }
    });
  }

  it("never half-applies the transaction that spans the instant", async () => {
    const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: marks[4]!.time.toISOString(), dropExisting: true });
    expect(run.state).toBe("succeeded");
    const ids = (await dst.sql<{ id: number }>("SELECT id FROM shop.orders WHERE id > 900000 ORDER BY id")).map((r) => Number(r.id));
    // 900002 committed in that second; the transaction with 900001 and 900003 began a second before it and committed a second after
    expect(ids).toEqual([900002]);
    const after = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: marks[5]!.time.toISOString(), dropExisting: true });
    expect(after.state).toBe("succeeded");
    expect((await dst.sql<{ id: number }>("SELECT id FROM shop.orders WHERE id > 900000 ORDER BY id")).map((r) => Number(r.id))).toEqual([900001, 900002, 900003]);
  });

  it("runs end to end through the runner: plan logged, progress of both phases, result recorded", async () => {
    const m = marks[2]!;
    const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, untilPosition: m.position, dropExisting: true });
    expect(run.state).toBe("succeeded");
    expect(run.kind).toBe("pitr");
    expect(run.backupId).toBe(backupId);
    const result = parseJson<Record<string, any>>(run.result, {});
    expect(result.backupId).toBe(backupId);
    expect(result.target).toBe(m.position);
    expect(result.segments.length).toBeGreaterThan(0);
    expect(result.base.tables).toBeGreaterThanOrEqual(2);
    expect(`${result.replay.position.file}:${result.replay.position.position}`).toBe(m.position);
    expect(result.replay.lastGtid).toBe(m.gtid);
    expect(result.replay.transactions).toBeGreaterThan(3);
    expect(result.replay.stoppedBy).toBe("target");
    expect(result.replay.binlogDisabled).toBe(true);
    const progress = parseJson<Record<string, any>>(run.progress, {});
    // the runner keeps the last figures of a finished run (its detail line is dropped)
    expect(progress.bytesDone).toBe(result.replay.bytes);
    expect(progress.rowsDone).toBe(result.replay.transactions);
    const log = await runLog(run.id);
    expect(log).toMatch(/Plan: Restore backup .* then replay \d+ archived binlog segment/);
    expect(log).toMatch(/Base restored: \d+ tables/);
    expect(log).toMatch(/Replayed \d+ transaction/);
    const audit = await db().auditEvent.findFirst({ where: { action: "pitr.start", targetId: run.id } });
    expect(audit).not.toBeNull();
  });

  it("reaches into the archiver's live tail (not yet shipped) by GTID", async () => {
    await src.sql("INSERT INTO shop.orders (id, customer_id, amount, note) VALUES (900010, 4, 4, 'only in the live tail')");
    const m = await mark(src, "live tail", thisSecond(), "shop");
    // the archiver records its checkpoint in the catalog at most once a second, and only when an
    // event arrives: keep writing (after the target) until the catalog has the target's position
    const [file, pos] = [m.position.split(":")[0]!, Number(m.position.split(":")[1])];
    for (let i = 0; ; i++) {
      const s = await db().archiverState.findUnique({ where: { hostId: bed.hosts.src! } });
      if (s?.file === file && Number(s.position) >= pos) break;
      if (i > 100) throw new Error(`the archiver's checkpoint in the catalog stays at ${s?.file}:${s?.position}, before ${m.position}`);
      await src.sql("INSERT INTO shop.orders (customer_id, amount, note) VALUES (5, 5, 'after the target')");
      await sleep(300);
    }
    const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, untilGtid: m.gtid, dropExisting: true });
    expect(run.state, `${run.error}\n${await runLog(run.id)}`).toBe("succeeded");
    const result = parseJson<Record<string, any>>(run.result, {});
    expect(result.segments.some((s: { live: boolean }) => s.live)).toBe(true);
    expect(await fingerprint(dst, "shop")).toEqual(m.fp);
  });
});
