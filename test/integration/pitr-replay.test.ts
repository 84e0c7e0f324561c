// The replay engine on its own (no catalog): binlogs of one real MariaDB replayed into another
// that holds the same base, then compared table by table. Each test writes its own database, so
// the shared binlog holds every test's events one after the other.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { WorkContext } from "../../server/work-context";
import { localFileSources, replayBinlogs, type ReplayOptions, type ReplaySource } from "../../server/pitr/replay";
import type { Sandbox } from "../../server/mysql/sandbox";
import { useMariaDB } from "../helpers/mariadb";
import { sleep } from "../helpers/runs";
import { fingerprint } from "../helpers/pitr";

const A = await useMariaDB();
const B = await useMariaDB();
const small = await useMariaDB({ args: ["--max-allowed-packet=1M"] });
const compressing = await useMariaDB({ args: ["--log-bin-compress=ON", "--log-bin-compress-min-len=10"] });

function context(signal = new AbortController().signal) {
  const logs: string[] = [];
  const progress: unknown[] = [];
  const ctx: WorkContext = { signal, progress: (p) => progress.push(p), log: (l, m) => logs.push(`${l}: ${m}`) };
  return { ctx, logs, progress };
}

/** The base on both servers, then A's position: replay starts there. */
async function base(sql: string, targets: Sandbox[] = [B]) {
  await A.sql(sql);
  for (const t of targets) await t.sql(sql);
  const [st] = await A.sql<{ File: string; Position: string }>("SHOW MASTER STATUS");
  return { file: st!.File, position: Number(st!.Position) };
}

function sources(from: { file: string }): ReplaySource[] {
  const files = fs.readdirSync(A.datadir).filter((f) => /^binlog\.\d+$/.test(f) && f >= from.file).sort();
  return localFileSources(files.map((f) => path.join(A.datadir, f)));
}

const replay = (from: { file: string; position: number }, opts: Partial<ReplayOptions> = {}, ctx = context().ctx, target: Sandbox = B) =>
  replayBinlogs(ctx, { target: target.address(), sources: sources(from), from, ...opts });

const second = () => Math.floor(Date.now() / 1000);
async function nextSecond() {
  const s = second();
  while (second() <= s) await sleep(10);
}

describe("binlog replay engine", () => {
  it("replays statements with the session state they ran with (charsets, sql_mode, time zone, user variables, RAND, auto-increment settings)", async () => {
    const from = await base(
      "CREATE DATABASE ctx; CREATE TABLE ctx.t (id INT AUTO_INCREMENT PRIMARY KEY, s VARCHAR(100) CHARACTER SET utf8mb4, l VARCHAR(100) CHARACTER SET latin1, ts TIMESTAMP NULL, dt DATETIME, d DECIMAL(20,6), f DOUBLE, n BIGINT); CREATE TABLE ctx.m (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM",
    );
    const c = await A.connect({ database: "ctx" });
    const latin = await A.connect({ database: "ctx", charset: "latin1_swedish_ci" });
    try {
      await c.query("SET SESSION binlog_format = 'STATEMENT'");
      await c.query("SET time_zone = '+05:00', lc_time_names = 'de_DE'");
      await c.query("INSERT INTO t (s, ts, dt) VALUES (DATE_FORMAT('2026-03-02', '%W %M'), NOW(), NOW())");
      await c.query("SET sql_mode = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES'");
      await c.query(`INSERT INTO "t" (s) VALUES ('back\\slash and "quotes"')`);
      await c.query("SET sql_mode = DEFAULT, auto_increment_increment = 5, auto_increment_offset = 3");
      await c.query("INSERT INTO t (s) VALUES ('stepped'), ('stepped again')");
      await c.query("SET @str = _utf8mb4 'Grüße 🎉', @real = 0.1e0, @int = -9007199254740993, @dec = CAST('-12345.678901' AS DECIMAL(20,6)), @nul = NULL");
      await c.query("INSERT INTO t (s, f, n, d, l) VALUES (@str, @real, @int, @dec, @nul)");
      await c.query("INSERT INTO t (s, f) VALUES (CONCAT('rand ', RAND()), RAND(7) + RAND())");
      await c.query("INSERT INTO t (s, n) VALUES ('last insert id', LAST_INSERT_ID())");
      await latin.query("SET SESSION binlog_format = 'STATEMENT'");
      await latin.query("INSERT INTO t (l, s) VALUES ('Café crème', 'latin1 client')");
      await latin.query("ALTER TABLE t ADD COLUMN `año` INT DEFAULT 7");
      await c.query("SET foreign_key_checks = 0");
      await c.query("CREATE TABLE child (id INT PRIMARY KEY, parent INT, FOREIGN KEY (parent) REFERENCES parent_not_yet (id))");
      await c.query("SET foreign_key_checks = 1");
      // row events of a non-transactional table end with a COMMIT query, not an XID
      await c.query("SET SESSION binlog_format = 'ROW'");
      await c.query("INSERT INTO m VALUES (1, 'myisam'), (2, 'rows')");
      // CREATE TABLE ... SELECT: a DDL statement and row events in one group
      await c.query("CREATE TABLE copy SELECT id, s, d FROM t WHERE id < 20");
    } finally {
      await c.end();
      await latin.end();
    }
    const r = await replay(from, { databases: ["ctx"] });
    expect(r.transactions).toBe(11);
    expect(await fingerprint(B, "ctx")).toEqual(await fingerprint(A, "ctx"));
  });

  it("stops with the position, GTID, statement and server error, applying whole transactions only", async () => {
    const from = await base("CREATE DATABASE err; CREATE TABLE err.t (id INT PRIMARY KEY, v VARCHAR(20))");
    await B.sql("INSERT INTO err.t VALUES (3, 'on the target')");
    await A.sql("INSERT INTO err.t VALUES (1, 'first')");
    await A.sql("BEGIN; INSERT INTO err.t VALUES (2, 'second'); INSERT INTO err.t VALUES (3, 'clashes'); COMMIT");
    const [g] = await A.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
    await A.sql("INSERT INTO err.t VALUES (4, 'never reached')");
    const err = await replay(from, { databases: ["err"] }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(new RegExp(`Replay failed at binlog\\.\\d+:\\d+ \\(GTID ${g!.g}\\) in the transaction starting at binlog\\.\\d+:\\d+`));
    expect(msg).toMatch(/Duplicate entry '3'/);
    expect(msg).toMatch(/Statement: row events for err\.t/);
    expect(msg).toMatch(/That transaction was rolled back; 1 transaction\(s\) were applied, the last ending at binlog\.\d+:\d+ \(GTID /);
    // the failing transaction left nothing behind (row 2 is not there), nothing after it ran
    expect((await B.sql<{ id: number }>("SELECT id FROM err.t ORDER BY id")).map((x) => Number(x.id))).toEqual([1, 3]);
  });

  it("honours cancellation between transactions", async () => {
    const from = await base("CREATE DATABASE cancel; CREATE TABLE cancel.t (id INT PRIMARY KEY)");
    const c = await A.connect();
    try {
      for (let i = 1; i <= 3000; i++) await c.query(`INSERT INTO cancel.t VALUES (${i})`);
    } finally {
      await c.end();
    }
    const ac = new AbortController();
    const { ctx } = context(ac.signal);
    const progress = ctx.progress;
    // cancel once some transactions are applied (progress counts them in rowsDone)
    ctx.progress = (p) => {
      progress(p);
      if ((p.rowsDone ?? 0) > 0) ac.abort(new Error("stop, please"));
    };
    await expect(replay(from, { databases: ["cancel"], batchBytes: 64 * 1024 }, ctx)).rejects.toThrow("stop, please");
    const ids = (await B.sql<{ id: number }>("SELECT id FROM cancel.t ORDER BY id")).map((x) => Number(x.id));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.length).toBeLessThan(3000);
    // a prefix of whole transactions: 1..n without holes
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
  });

  it("streams a huge transaction into an open transaction, commits it when it ends before the target and rolls it back when it ends after", async () => {
    const from = await base("CREATE DATABASE huge; CREATE TABLE huge.t (id INT PRIMARY KEY, pad VARCHAR(200))");
    await nextSecond();
    await A.sql("INSERT INTO huge.t SELECT seq, REPEAT('a', 200) FROM huge.seq_1_to_3000");
    const c = await A.connect();
    const other = await A.connect();
    let target: number;
    try {
      await nextSecond();
      await c.query("BEGIN");
      await c.query("INSERT INTO huge.t SELECT seq, REPEAT('b', 200) FROM huge.seq_3001_to_6000");
      await nextSecond();
      await other.query("INSERT INTO huge.t VALUES (10000, 'small, committed inside the window')");
      target = second();
      await nextSecond();
      await c.query("UPDATE huge.t SET pad = 'c' WHERE id <= 10");
      await c.query("COMMIT");
    } finally {
      await c.end();
      await other.end();
    }
    const { ctx, logs } = context();
    const r = await replay(from, { databases: ["huge"], until: { time: new Date(target * 1000) }, streamThreshold: 64 * 1024, batchBytes: 64 * 1024 }, ctx);
    expect(logs.join("\n")).toMatch(/is larger than 64(\.0)? KiB: it is sent into an open transaction/);
    expect(r.stoppedBy).toBe("target");
    const [n] = await B.sql<{ n: string; b: string; c: string }>("SELECT COUNT(*) n, SUM(pad LIKE 'b%') b, SUM(pad = 'c') c FROM huge.t");
    expect({ n: Number(n!.n), b: Number(n!.b), c: Number(n!.c) }).toEqual({ n: 3001, b: 0, c: 0 });
  });

  it("refuses, with the statement, to restore a subset past a statement that touches a database outside it", async () => {
    const from = await base("CREATE DATABASE sub1; CREATE DATABASE sub2; CREATE TABLE sub1.t (id INT PRIMARY KEY); CREATE TABLE sub2.t (id INT PRIMARY KEY)");
    await A.sql("INSERT INTO sub1.t VALUES (1)");
    await A.sql("USE sub1; SET SESSION binlog_format = 'STATEMENT'; INSERT INTO sub2.t SELECT id FROM t");
    const err = await replay(from, { databases: ["sub1"] }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/cannot restore a subset of databases exactly past this statement, because it touches restored database\(s\) sub1 and database\(s\) not being restored sub2: INSERT INTO sub2\.t SELECT id FROM t\. .*\(1 transaction\(s\) were applied/);
    // what came before the statement is applied; the statement is not, on either database
    expect((await B.sql("SELECT id FROM sub1.t")).length).toBe(1);
    expect((await B.sql("SELECT id FROM sub2.t")).length).toBe(0);
  });

  it("sends a row event bigger than the target's max_allowed_packet in two fragments", async () => {
    const from = await base("CREATE DATABASE frag; CREATE TABLE frag.t (id INT PRIMARY KEY, b LONGBLOB)", [small]);
    await A.sql("INSERT INTO frag.t VALUES (1, RANDOM_BYTES(1024)), (2, REPEAT(RANDOM_BYTES(1000), 900))");
    const r = await replay(from, { databases: ["frag"] }, context().ctx, small);
    expect(r.transactions).toBe(1);
    expect(await fingerprint(small, "frag")).toEqual(await fingerprint(A, "frag"));
  });

  it("replays a file read from the middle with a format description taken from another file", async () => {
    const from = await base("CREATE DATABASE mid; CREATE TABLE mid.t (id INT PRIMARY KEY, v JSON)");
    await A.sql(`INSERT INTO mid.t VALUES (1, '{"a": 1}'), (2, '[1, 2]')`);
    await A.sql("UPDATE mid.t SET v = JSON_SET(v, '$.b', 2) WHERE id = 1");
    const file = path.join(A.datadir, from.file);
    const whole = fs.readFileSync(file);
    const fdeSize = whole.readUInt32LE(4 + 9);
    const src: ReplaySource = {
      file: from.file,
      open: () => fs.createReadStream(file, { start: from.position }),
      formatDescription: async () => whole.subarray(4, 4 + fdeSize),
    };
    const { ctx, logs } = context();
    const r = await replayBinlogs(ctx, { target: B.address(), sources: [src], from, databases: ["mid"] });
    expect(r.transactions).toBe(2);
    expect(logs.join("\n")).toMatch(/archived from the middle/);
    expect(await fingerprint(B, "mid")).toEqual(await fingerprint(A, "mid"));
  });

  it("replays compressed binlogs (log_bin_compress: compressed QUERY and rows events)", async () => {
    const setup = "CREATE DATABASE z; CREATE TABLE z.t (id INT PRIMARY KEY, v TEXT)";
    await compressing.sql(setup);
    await B.sql(setup);
    const [st] = await compressing.sql<{ File: string; Position: string }>("SHOW MASTER STATUS");
    const from = { file: st!.File, position: Number(st!.Position) };
    await compressing.sql("INSERT INTO z.t SELECT seq, REPEAT(CONCAT('compressible ', seq), 40) FROM z.seq_1_to_500");
    await compressing.sql("ALTER TABLE z.t ADD COLUMN extra VARCHAR(100) NOT NULL DEFAULT 'a default long enough to be compressed'");
    await compressing.sql("SET SESSION binlog_format = 'STATEMENT'; UPDATE z.t SET v = CONCAT(v, ' and a statement long enough to be compressed') WHERE id < 50");
    const files = fs.readdirSync(compressing.datadir).filter((f) => /^binlog\.\d+$/.test(f) && f >= from.file).sort();
    const r = await replayBinlogs(context().ctx, { target: B.address(), sources: localFileSources(files.map((f) => path.join(compressing.datadir, f))), from, databases: ["z"] });
    expect(r.transactions).toBe(3);
    expect(await fingerprint(B, "z")).toEqual(await fingerprint(compressing, "z"));
  });

  it("says when a GTID or a position target is not in the binlogs", async () => {
    const from = await base("CREATE DATABASE miss; CREATE TABLE miss.t (id INT PRIMARY KEY)");
    await A.sql("INSERT INTO miss.t VALUES (1)");
    const [g] = await A.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
    const [domain, server, seq] = g!.g.split("-");
    await expect(replay(from, { databases: ["miss"], until: { gtid: `${domain}-${server}-${Number(seq) + 50}` } })).rejects.toThrow(/GTID \S+ was not found in the archived binlogs replayed/);
    await B.sql("DELETE FROM miss.t");
    await expect(replay(from, { databases: ["miss"], until: { position: { file: from.file, position: 999_999_999 } } })).rejects.toThrow(/The archived binlogs end at binlog\.\d+:\d+, before binlog\.\d+:999999999/);
  });
});
