// A backup of MySQL must not write to its binlog either (an errant GTID on a replica breaks
// failover). No MySQL server runs here, so the logical dump's and the snapshot lock's whole MySQL
// conversation is played against scripted connections (the integration test
// backup-binlog-neutral.test.ts proves the same on real MariaDB servers): the snapshot
// transactions end with ROLLBACK, nothing commits, and no statement is one the server logs.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { WorkContext } from "../../server/work-context";
import type { ServerFacts } from "../../server/mysql/server-facts";

type Row = Record<string, string>;
type Sent = { conn: number; sql: string };

/** Every statement sent, in order, with the connection it went to (0 = the first one opened). */
const sent: Sent[] = [];
const ended = new Set<number>();
let opened = 0;
let server: { status: Row; gtidExecuted: string } = { status: {}, gtidExecuted: "" };

/** What a MySQL 8 server answers to the dump's read queries; everything else returns no rows. */
function answer(sql: string): Row[] {
  if (sql === "SELECT CURRENT_USER()") return [{ u: "bk@%" }];
  if (/FROM information_schema\.ENABLED_ROLES/.test(sql)) return [{ n: "0" }];
  if (/FROM information_schema\.USER_PRIVILEGES/.test(sql)) return ["RELOAD", "SELECT", "SHOW VIEW", "TRIGGER", "EVENT"].map((p) => ({ p }));
  if (sql === "SHOW MASTER STATUS" || sql === "SHOW BINARY LOG STATUS") return [server.status];
  if (sql === "SELECT @@global.gtid_executed") return [{ g: server.gtidExecuted }];
  if (sql === "SELECT CONNECTION_ID() AS id") return [{ id: String(100 + opened) }];
  return [];
}

function scriptedConnection() {
  const id = opened++;
  return {
    async query(q: string | { sql: string; rowsAsArray?: boolean }, _params?: unknown[]) {
      const sql = typeof q === "string" ? q : q.sql;
      sent.push({ conn: id, sql });
      const rows = answer(sql);
      const asArrays = typeof q !== "string" && q.rowsAsArray;
      return [asArrays ? rows.map((r) => Object.values(r).map((v) => Buffer.from(v))) : rows, []];
    },
    on() {
      return this;
    },
    async end() {
      ended.add(id);
    },
    destroy() {
      ended.add(id);
    },
  };
}

vi.mock("../../server/mysql/connect", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../server/mysql/connect")>()),
  connectServer: async () => scriptedConnection(),
}));

const { DumpSession } = await import("../../server/engines/logical/dump-session");
const { TaskQueue } = await import("../../server/engines/logical/task-queue");
const { withConsistencyLock } = await import("../../server/engines/snapshot/consistency-lock");

const UUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

function mysqlFacts(version: string): ServerFacts {
  return {
    version, versionComment: "MySQL Community Server - GPL", fullVersion: version, flavor: "mysql", serverId: 7, hostname: "db1", datadir: "/var/lib/mysql/", datadirFilesystem: "xfs", isLocal: true,
    binlog: { enabled: true, format: "ROW", rowImage: "FULL", checksum: "CRC32", basename: "/var/lib/mysql/binlog", currentFile: "binlog.000012", currentPosition: 157, expireSeconds: 2592000 },
    gtid: { enabled: true, mode: "ON", executed: `${UUID}:1-5107`, strictMode: null, domainId: null },
    clonePlugin: "active", privileges: ["RELOAD", "SELECT"], grants: [], user: "bk@%", sizes: [], totalBytes: 2 ** 30,
    innodb: { filePerTable: true, bufferPoolBytes: 2 ** 30 }, timeZone: "UTC", lowerCaseTableNames: 0, collectedAt: new Date().toISOString(),
  };
}

const ctx = (): WorkContext => ({ signal: new AbortController().signal, progress: () => undefined, log: () => undefined });
const address = { host: "db1", port: 3306, user: "bk", password: "x" };

/**
 * Statements the server would write to its binary log (or that change the server for everyone):
 * a COMMIT flushes the transaction's binlog cache (MySQL and MariaDB put a SAVEPOINT there), FLUSH
 * and ANALYZE/OPTIMIZE/REPAIR are logged unless NO_WRITE_TO_BINLOG/LOCAL (FLUSH TABLES WITH READ
 * LOCK never is), any DML/DDL/account statement, SET GLOBAL/PERSIST.
 */
function writesToServer(sql: string): boolean {
  const s = sql.trim().replace(/\s+/g, " ").toUpperCase();
  if (/^(COMMIT|XA |BEGIN\b|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|RENAME|TRUNCATE|GRANT|REVOKE|LOAD|CALL|DO\b)/.test(s)) return true;
  if (/^SET (GLOBAL|PERSIST|@@GLOBAL)/.test(s) || /^SET .*\bSQL_LOG_BIN\b/.test(s)) return true;
  if (/^(FLUSH|ANALYZE|OPTIMIZE|REPAIR)\b/.test(s)) return !/^(FLUSH|ANALYZE|OPTIMIZE|REPAIR) (NO_WRITE_TO_BINLOG|LOCAL)\b/.test(s) && s !== "FLUSH TABLES WITH READ LOCK";
  return false;
}

beforeEach(() => {
  sent.length = 0;
  ended.clear();
  opened = 0;
});

describe("logical dump of MySQL: the snapshot transactions end with ROLLBACK", () => {
  for (const [version, parallel, statusSql] of [
    ["8.0.35", 4, "SHOW MASTER STATUS"],
    ["8.4.3", 1, "SHOW BINARY LOG STATUS"],
  ] as const) {
    it(`MySQL ${version}, ${parallel} connection(s): FLUSH TABLES WITH READ LOCK, snapshot, chunks, ROLLBACK; no COMMIT, nothing logged`, async () => {
      server = { status: { File: "binlog.000012", Position: "4711", Binlog_Do_DB: "", Binlog_Ignore_DB: "", Executed_Gtid_Set: `${UUID}:1-5107` }, gtidExecuted: `${UUID}:1-5107` };
      const s = new DumpSession(ctx(), { server: address, facts: mysqlFacts(version), filter: {}, parallel, includeUsers: false, lockWaitTimeoutSec: 10, lockMechanism: "auto" });
      await s.open();
      expect(s.snapshot).toMatchObject({ mechanism: "ftwrl", coordinates: { file: "binlog.000012", position: 4711, gtid: `${UUID}:1-5107` } });
      expect(sent.map((x) => x.sql)).toContain(statusSql);

      // two chunks per worker, each reading on the snapshot
      const queue = new TaskQueue();
      queue.push(Array.from({ length: parallel * 2 }, (_, i) => ({ label: `shop.orders chunk ${i}`, order: [i], run: async (c: { query(sql: string): Promise<unknown> }) => void (await c.query(`SELECT * FROM shop.orders /* chunk ${i} */`)) })) as never);
      await s.runWorkers(queue);
      await s.close();

      const meta = 0;
      const workers = [...new Set(sent.map((x) => x.conn))].filter((c) => c !== meta);
      expect(workers).toHaveLength(parallel);
      for (const w of workers) {
        const mine = sent.filter((x) => x.conn === w).map((x) => x.sql);
        const start = mine.indexOf("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
        expect(start, `worker ${w}: ${mine.join(" | ")}`).toBeGreaterThanOrEqual(0);
        // the snapshot's last word is ROLLBACK, and it is the worker's last statement
        expect(mine.at(-1), `worker ${w}`).toBe("ROLLBACK");
        expect(mine.slice(start).filter((q) => /^ROLLBACK$/i.test(q))).toHaveLength(1);
      }
      expect(sent.filter((x) => /\bCOMMIT\b/i.test(x.sql))).toEqual([]);
      expect(sent.filter((x) => writesToServer(x.sql))).toEqual([]);
      // the read lock was taken and released on the meta connection
      const metaSql = sent.filter((x) => x.conn === meta).map((x) => x.sql);
      expect(metaSql.indexOf("UNLOCK TABLES")).toBeGreaterThan(metaSql.indexOf("FLUSH TABLES WITH READ LOCK"));
      expect([...ended].sort()).toEqual([...new Set(sent.map((x) => x.conn))].sort());
    });
  }
});

describe("snapshot engine lock on MySQL", () => {
  it("flushes with NO_WRITE_TO_BINLOG before FLUSH TABLES WITH READ LOCK; nothing it sends is logged", async () => {
    server = { status: { File: "binlog.000012", Position: "4711", Binlog_Do_DB: "", Binlog_Ignore_DB: "", Executed_Gtid_Set: `${UUID}:1-5107` }, gtidExecuted: `${UUID}:1-5107` };
    const conn = scriptedConnection();
    const r = await withConsistencyLock(ctx(), conn as never, { server: address, hostName: "db1", flavor: "mysql", version: "8.0.35", timeoutSeconds: 10 }, async (coords) => coords);
    expect(r.method).toBe("ftwrl");
    expect(r.value).toEqual({ file: "binlog.000012", position: 4711, gtid: `${UUID}:1-5107` });
    const lockSql = sent.filter((x) => x.conn === 0).map((x) => x.sql);
    expect(lockSql).toEqual(["SELECT CONNECTION_ID() AS id", "SET SESSION lock_wait_timeout = 10", "FLUSH NO_WRITE_TO_BINLOG TABLES", "FLUSH TABLES WITH READ LOCK", "SHOW MASTER STATUS", "UNLOCK TABLES"]);
    expect(sent.filter((x) => writesToServer(x.sql))).toEqual([]);
  });

  it("the rule it is checked with: logged statements are caught", () => {
    for (const q of ["COMMIT", "FLUSH TABLES", "FLUSH PRIVILEGES", "ANALYZE TABLE t", "SET GLOBAL x = 1", "CREATE TEMPORARY TABLE t (a int)", "SET SESSION sql_log_bin = 0"]) expect(writesToServer(q), q).toBe(true);
    for (const q of ["ROLLBACK", "FLUSH NO_WRITE_TO_BINLOG TABLES", "FLUSH LOCAL TABLES", "FLUSH TABLES WITH READ LOCK", "SAVEPOINT dbbackup", "SELECT 1", "SET SESSION lock_wait_timeout = 5"]) expect(writesToServer(q), q).toBe(false);
  });
});
