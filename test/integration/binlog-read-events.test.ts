import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runArchiver } from "../../server/binlog/archiver";
import type { ArchiverStatus } from "../../server/binlog/archiver-types";
import type { BinlogEvent } from "../../server/binlog/binlog-event";
import { groupTransactions, type BinlogTransaction } from "../../server/binlog/group-transactions";
import { readEvents } from "../../server/binlog/read-events";
import type { Sandbox } from "../../server/mysql/sandbox";
import { LocalStore } from "../../server/storage/local-store";
import { useMariaDB } from "../helpers/mariadb";
import { extractArchivedFile, serverPosition, testContext, waitBinlogCheckpoint, waitCaughtUp, waitFor } from "../helpers/binlog";

/** What the workload committed, as the server reported right after each commit. */
type Expected = { kind: "transaction" | "statement"; file: string; endPosition: number; gtid: string; commitTimestamp: number; beginTimestamp: number; tables: string[]; sql?: RegExp };

const T = 1767225600; // 2026-01-01T00:00:00Z: every statement runs with SET timestamp so times are exact
const sb: Sandbox = await useMariaDB();
let work: string;
let store: LocalStore;
const expected: Expected[] = [];
let archivedFiles: string[] = [];

async function gtidPos(c: Awaited<ReturnType<Sandbox["connect"]>>) {
  const [rows] = await c.query("SELECT @@gtid_binlog_pos AS p");
  return (rows as { p: string }[])[0]!.p;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-binlog-read-"));
  store = new LocalStore(path.join(work, "store"));
  const ac = new AbortController();
  let status: ArchiverStatus | null = null;
  const run = runArchiver(testContext(ac.signal), { server: sb.address(), dir: path.join(work, "dir"), store, storePrefix: "a/", start: "current", heartbeatSeconds: 1, onStatus: (s) => (status = s) });
  await waitFor("streaming", () => status?.state === "streaming");

  await waitBinlogCheckpoint(sb);
  const c = await sb.connect();
  const step = async (sql: string, e: Omit<Expected, "file" | "endPosition" | "gtid">) => {
    await c.query(sql);
    const p = await serverPosition(sb);
    expected.push({ ...e, file: p.file, endPosition: p.position, gtid: await gtidPos(c) });
  };
  await step(`SET timestamp=${T}; CREATE DATABASE r`, { kind: "statement", commitTimestamp: T, beginTimestamp: T, tables: [], sql: /^CREATE DATABASE r$/ });
  await step(`SET timestamp=${T + 1}; CREATE TABLE r.a (id INT PRIMARY KEY, v VARCHAR(200))`, { kind: "statement", commitTimestamp: T + 1, beginTimestamp: T + 1, tables: [], sql: /^CREATE TABLE r\.a/ });
  await step(`SET timestamp=${T + 2}; CREATE TABLE r.b (id INT) ENGINE=MyISAM`, { kind: "statement", commitTimestamp: T + 2, beginTimestamp: T + 2, tables: [], sql: /^CREATE TABLE r\.b/ });
  await step(`SET timestamp=${T + 10}; BEGIN; INSERT INTO r.a VALUES (1,'x'); SET timestamp=${T + 11}; INSERT INTO r.a VALUES (2,'y'); SET timestamp=${T + 12}; COMMIT`, {
    kind: "transaction",
    commitTimestamp: T + 12,
    beginTimestamp: T + 10,
    tables: ["r.a"],
  });
  // non-transactional: MariaDB ends the group with a COMMIT query instead of an XID
  await step(`SET timestamp=${T + 20}; INSERT INTO r.b VALUES (1), (2)`, { kind: "transaction", commitTimestamp: T + 20, beginTimestamp: T + 20, tables: ["r.b"] });
  // rolled back: never reaches the binlog
  await c.query(`SET timestamp=${T + 25}; BEGIN; INSERT INTO r.a VALUES (99,'gone'); ROLLBACK`);
  // one statement, many rows events (binlog_row_event_max_size is 8 KiB)
  const values = Array.from({ length: 400 }, (_, i) => `(${100 + i}, REPEAT('v', 150))`).join(",");
  await step(`SET timestamp=${T + 30}; INSERT INTO r.a VALUES ${values}`, { kind: "transaction", commitTimestamp: T + 30, beginTimestamp: T + 30, tables: ["r.a"] });
  await c.query("FLUSH BINARY LOGS");
  // the new file's own checkpoint event must come before the next step, or it would sit between
  // that step's commit and the position the server reports after it
  await waitBinlogCheckpoint(sb);
  await step(`SET timestamp=${T + 40}; ALTER TABLE r.a ADD COLUMN w INT`, { kind: "statement", commitTimestamp: T + 40, beginTimestamp: T + 40, tables: [], sql: /^ALTER TABLE r\.a ADD COLUMN w INT$/ });
  await step(`SET timestamp=${T + 50}; BEGIN; UPDATE r.a SET w = 1 WHERE id < 150; SET timestamp=${T + 51}; DELETE FROM r.a WHERE id = 2; SET timestamp=${T + 52}; COMMIT`, {
    kind: "transaction",
    commitTimestamp: T + 52,
    beginTimestamp: T + 50,
    tables: ["r.a"],
  });
  await c.end();
  await waitCaughtUp(sb, () => status);
  ac.abort();
  await run;
  archivedFiles = [...new Set(expected.map((e) => e.file))];
}, 120_000);

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

async function eventsOf(file: string, opts: { highWaterMark?: number } = {}): Promise<BinlogEvent[]> {
  const p = path.join(work, `x-${file}`);
  if (!fs.existsSync(p)) {
    // the first file was archived from mid-file: read its segment as a stream of events
    try {
      await extractArchivedFile(store, "a/", file, p);
    } catch {
      const seg = fs.readdirSync(path.join(work, "store", "a")).find((f) => f.startsWith(`${file}.`) && /\d{10}$/.test(f))!;
      fs.copyFileSync(path.join(work, "store", "a", seg), p);
    }
  }
  const out: BinlogEvent[] = [];
  for await (const ev of readEvents(fs.createReadStream(p, { highWaterMark: opts.highWaterMark }), { fileName: file })) out.push(ev);
  return out;
}

async function* allEvents() {
  for (const f of archivedFiles) yield* await eventsOf(f);
}

describe("readEvents and groupTransactions over an archived binlog", () => {
  it("yields the transactions the workload committed, with exact boundaries, GTIDs and commit times", async () => {
    const txs: BinlogTransaction[] = [];
    for await (const t of groupTransactions(allEvents())) txs.push(t);
    expect(txs.length).toBe(expected.length);
    txs.forEach((t, i) => {
      const e = expected[i]!;
      expect({ i, kind: t.kind, file: t.file, end: t.endPosition, gtid: t.gtid, commit: t.commitTimestamp, begin: t.beginTimestamp, tables: t.tables, complete: t.complete }).toEqual({
        i,
        kind: e.kind,
        file: e.file,
        end: e.endPosition,
        gtid: e.gtid,
        commit: e.commitTimestamp,
        begin: e.beginTimestamp,
        tables: e.tables,
        complete: true,
      });
      if (e.sql) expect(t.statements[0]).toMatch(e.sql);
      // a transaction starts where the previous one in the same file ended (nothing between commits but a rotation)
      const prev = txs[i - 1];
      if (prev && prev.file === t.file) expect(t.startPosition).toBe(prev.endPosition);
    });
    expect(txs.find((t) => t.tables.includes("r.b") && t.kind === "transaction")!.xid).toBeUndefined();
    expect(txs[3]!.xid).toBeDefined();
  });

  it("decodes the events replay needs", async () => {
    const evs = [...(await eventsOf(archivedFiles[0]!)), ...(await eventsOf(archivedFiles[1]!))];
    const byKind = (k: string) => evs.filter((e) => e.details?.kind === k);
    expect(evs.every((e) => !e.decodeError)).toBe(true);
    const fde = byKind("format_description")[0]!.details as Extract<BinlogEvent["details"], { kind: "format_description" }>;
    expect(fde.checksum).toBe("crc32");
    expect(fde.flavor).toBe("mariadb");
    expect(fde.binlogVersion).toBe(4);
    const rotate = byKind("rotate")[0]!;
    expect(rotate.details).toMatchObject({ kind: "rotate", nextFile: archivedFiles[1], position: 4 });
    const ddl = evs.find((e) => e.details?.kind === "query" && /^CREATE TABLE r\.a/.test(e.details.sql))!.details as Extract<BinlogEvent["details"], { kind: "query" }>;
    expect(typeof ddl.statusVars.sqlMode).toBe("bigint");
    expect(ddl.statusVars.charset?.client).toBeGreaterThan(0);
    expect(ddl.statusVars.flags2).toBeDefined();
    const maps = byKind("table_map").map((e) => e.details as Extract<BinlogEvent["details"], { kind: "table_map" }>);
    expect(maps.some((m) => m.database === "r" && m.table === "a" && m.columnCount === 2)).toBe(true);
    expect(maps.some((m) => m.database === "r" && m.table === "a" && m.columnCount === 3)).toBe(true);
    const annotate = byKind("annotate_rows").map((e) => (e.details as { sql: string }).sql);
    expect(annotate).toContain("INSERT INTO r.a VALUES (1,'x')");
    const gtid = byKind("mariadb_gtid").map((e) => e.details as Extract<BinlogEvent["details"], { kind: "mariadb_gtid" }>);
    expect(gtid.filter((g) => g.standalone).length).toBe(expected.filter((e) => e.kind === "statement").length);
    expect(gtid.every((g) => g.server === sb.serverId && g.domain === 0)).toBe(true);
    expect(byKind("gtid_list").length).toBeGreaterThanOrEqual(1);
    expect(byKind("binlog_checkpoint").length).toBeGreaterThanOrEqual(1);
    expect(byKind("xid").length).toBe(3);
    // the 400-row insert is split into several rows events; only the statement's last one has STMT_END
    const bulk = evs.filter((e) => e.details?.kind === "rows" && e.header.timestamp === T + 30).map((e) => e.details as Extract<BinlogEvent["details"], { kind: "rows" }>);
    expect(bulk.length).toBeGreaterThan(3);
    expect(bulk.map((r) => r.stmtEnd)).toEqual([...Array(bulk.length - 1).fill(false), true]);
    expect(bulk.every((r) => r.operation === "write" && r.version === 1)).toBe(true);
  });

  it("reads the same events whatever the chunking of the stream", async () => {
    const a = await eventsOf(archivedFiles[1]!);
    const b = await eventsOf(archivedFiles[1]!, { highWaterMark: 7 });
    expect(b.map((e) => [e.position, e.typeName, e.raw.toString("hex")])).toEqual(a.map((e) => [e.position, e.typeName, e.raw.toString("hex")]));
  });

  it("reports a flipped byte as CRC32 corruption with the file and position", async () => {
    const file = archivedFiles[1]!;
    const evs = await eventsOf(file);
    const victim = evs[Math.floor(evs.length / 2)]!;
    const p = path.join(work, `x-${file}`);
    const bytes = fs.readFileSync(p);
    bytes[victim.position + 20] = bytes[victim.position + 20]! ^ 0x10;
    const bad = path.join(work, `bad-${file}`);
    fs.writeFileSync(bad, bytes);
    const read = async (verifyChecksum: boolean) => {
      let n = 0;
      for await (const _ of readEvents(fs.createReadStream(bad), { fileName: file, verifyChecksum })) n++;
      return n;
    };
    await expect(read(true)).rejects.toThrow(new RegExp(`^${file.replace(".", "\\.")} at position ${victim.position}: ${victim.typeName} event fails its CRC32 checksum`));
    // without verification the damaged event is still delimited correctly (only its body changed)
    expect(await read(false)).toBe(evs.length);

    // a length field damaged: caught as an impossible event, also with file and position
    const bytes2 = fs.readFileSync(p);
    bytes2.writeUInt32LE(3, victim.position + 9);
    fs.writeFileSync(bad, bytes2);
    await expect(read(true)).rejects.toThrow(new RegExp(`at position ${victim.position}: .*impossible`));
  });
});
