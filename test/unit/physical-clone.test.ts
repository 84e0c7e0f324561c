// The clone engine needs MySQL 8.0.17+, which cannot run here: its whole SQL conversation is
// played against scripted sessions (exact statements and parameters, recorded result sets for
// clone_progress and clone_status, real MySQL error numbers). The files, tar archive, backup set
// and cleanup are real.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { BackupSetWriter } from "../../server/artifact/backup-set";
import { MANIFEST_FORMAT } from "../../server/artifact/manifest";
import { CLONE_LOCAL_SQL, CLONE_REMOTE_SQL, CLONE_STATUS_SQL, createCloneEngine, DONOR_LIST_SQL, SET_DONOR_LIST_SQL } from "../../server/engines/clone/clone-engine";
import { GRANTS_SQL, NON_INNODB_SQL, PLUGIN_SQL, VERSION_SQL } from "../../server/engines/clone/clone-prerequisites";
import { PROGRESS_SQL } from "../../server/engines/clone/clone-progress";
import type { SqlSession } from "../../server/engines/clone/sql-session";
import type { Progress, WorkContext } from "../../server/work-context";
import type { ServerAddress } from "../../server/mysql/connection-options";
import type { ServerFacts } from "../../server/mysql/server-facts";
import { LocalStore } from "../../server/storage/local-store";
import { collect } from "../../server/storage/object-store";

type Step = { sql: string; params?: unknown[]; rows?: Record<string, unknown>[]; error?: { errno: number; message: string }; effect?: () => Promise<void> };
type Role = "source" | "recipient" | "monitor";

const sqlError = (errno: number, message: string) => Object.assign(new Error(message), { errno, sqlMessage: message, code: `ER_${errno}` });

/** Plays scripted conversations per role; records every statement (inventory queries by name). */
class ScriptedMysql {
  readonly transcript: { role: Role; sql: string; params?: unknown[] }[] = [];
  polls = 0;
  killed: string[] = [];
  private interrupt: ((e: Error) => void) | null = null;
  constructor(
    private readonly scripts: Partial<Record<"source" | "recipient", Step[]>>,
    private readonly progressFeed: Record<string, unknown>[][] = [],
  ) {}

  factory = async (_a: ServerAddress, role: Role): Promise<SqlSession> => ({
    rows: async <T,>(sql: string, params?: unknown[]): Promise<T[]> => {
      if (role === "monitor") {
        if (sql === PROGRESS_SQL) {
          this.polls++;
          this.transcript.push({ role, sql: "<clone_progress>" });
          return (this.progressFeed[Math.min(this.polls - 1, this.progressFeed.length - 1)] ?? []) as T[];
        }
        this.transcript.push({ role, sql, params });
        if (/^KILL QUERY \d+$/.test(sql)) {
          this.killed.push(sql);
          this.interrupt?.(sqlError(1317, "Query execution was interrupted"));
          return [];
        }
        throw new Error(`unexpected monitor statement: ${sql}`);
      }
      const inv = /information_schema\.(SCHEMATA|TABLES|ROUTINES|TRIGGERS|EVENTS) WHERE (SCHEMA_NAME|TABLE_SCHEMA|ROUTINE_SCHEMA|TRIGGER_SCHEMA|EVENT_SCHEMA) NOT IN/.exec(sql);
      if (inv && sql !== NON_INNODB_SQL) {
        this.transcript.push({ role, sql: `<inventory ${inv[1]}>` });
        if (inv[1] === "SCHEMATA") return [{ n: "shop", cs: "utf8mb4", co: "utf8mb4_0900_ai_ci" }] as T[];
        if (inv[1] === "TABLES") return [{ s: "shop", t: "orders", ty: "BASE TABLE", e: "InnoDB", r: 1200, b: 65536 }] as T[];
        return [];
      }
      this.transcript.push({ role, sql, params });
      const script = this.scripts[role as "source" | "recipient"] ?? [];
      const step = script.shift();
      if (!step) throw new Error(`unexpected ${role} statement (script ended): ${sql}`);
      expect({ role, sql, params }).toEqual({ role, sql: step.sql, params: step.params });
      if (step.effect) {
        // a running CLONE can be interrupted by KILL QUERY from the monitor session
        await Promise.race([step.effect(), new Promise<never>((_, rej) => (this.interrupt = rej))]).finally(() => (this.interrupt = null));
      }
      if (step.error) throw sqlError(step.error.errno, step.error.message);
      return (step.rows ?? []) as T[];
    },
    close: async () => undefined,
  });

  remaining(role: "source" | "recipient") {
    return (this.scripts[role] ?? []).map((s) => s.sql);
  }
}

const facts: ServerFacts = {
  version: "8.0.35", versionComment: "MySQL Community Server - GPL", fullVersion: "8.0.35", flavor: "mysql", serverId: 1, hostname: "db1", datadir: "", datadirFilesystem: "xfs", isLocal: true,
  binlog: { enabled: true, format: "ROW", rowImage: "FULL", checksum: "CRC32", basename: "/var/lib/mysql/binlog", currentFile: "binlog.000012", currentPosition: 157, expireSeconds: 2592000 },
  gtid: { enabled: true, mode: "ON", executed: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5107", strictMode: null, domainId: null },
  clonePlugin: "active", privileges: ["BACKUP_ADMIN", "CLONE_ADMIN", "RELOAD", "SELECT"], grants: [], user: "bk@%", sizes: [], totalBytes: 250 * 2 ** 30,
  innodb: { filePerTable: true, bufferPoolBytes: 2 ** 30 }, timeZone: "UTC", lowerCaseTableNames: 0, collectedAt: new Date().toISOString(),
};

const version = (v = "8.0.35") => ({ sql: VERSION_SQL, rows: [{ version: v, comment: "MySQL Community Server - GPL", datadir: `${work}/mysql/data/` }] });
const plugin = (status: string | null = "ACTIVE") => ({ sql: PLUGIN_SQL, rows: status ? [{ PLUGIN_STATUS: status }] : [] });
const grants = (privs = "BACKUP_ADMIN,CLONE_ADMIN", user = "bk") => ({
  sql: GRANTS_SQL,
  rows: [{ [`Grants for ${user}@%`]: `GRANT RELOAD, PROCESS ON *.* TO \`${user}\`@\`%\`` }, { [`Grants for ${user}@%`]: `GRANT ${privs} ON *.* TO \`${user}\`@\`%\`` }],
});
const nonInnodb = (rows: Record<string, unknown>[] = []) => ({ sql: NON_INNODB_SQL, rows });
const connId = { sql: "SELECT CONNECTION_ID() AS id", rows: [{ id: 42 }] };
const status = { sql: CLONE_STATUS_SQL, rows: [{ STATE: "Completed", ERROR_NO: 0, ERROR_MESSAGE: "", BINLOG_FILE: "binlog.000012", BINLOG_POSITION: 4711, GTID_EXECUTED: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5107,\n4f2e1a00-0000-11e1-9e33-c80aa9429562:1-3" }] };

const stage = (STAGE: string, STATE: string, ESTIMATE: number, DATA: number) => ({ STAGE, STATE, ESTIMATE, DATA, NETWORK: 0 });
/** clone_progress as a local clone goes through its stages (recorded shape, MySQL 8.0). */
const progressFeed = [
  [stage("DROP DATA", "Completed", 0, 0), stage("FILE COPY", "In Progress", 268435456, 67108864), stage("PAGE COPY", "Not Started", 0, 0), stage("REDO COPY", "Not Started", 0, 0), stage("FILE SYNC", "Not Started", 0, 0), stage("RESTART", "Not Started", 0, 0), stage("RECOVERY", "Not Started", 0, 0)],
  [stage("DROP DATA", "Completed", 0, 0), stage("FILE COPY", "In Progress", 268435456, 201326592), stage("PAGE COPY", "Not Started", 0, 0), stage("REDO COPY", "Not Started", 0, 0), stage("FILE SYNC", "Not Started", 0, 0), stage("RESTART", "Not Started", 0, 0), stage("RECOVERY", "Not Started", 0, 0)],
  [stage("DROP DATA", "Completed", 0, 0), stage("FILE COPY", "Completed", 268435456, 268435456), stage("PAGE COPY", "In Progress", 1048576, 524288), stage("REDO COPY", "Not Started", 0, 0), stage("FILE SYNC", "Not Started", 0, 0), stage("RESTART", "Not Started", 0, 0), stage("RECOVERY", "Not Started", 0, 0)],
  [stage("DROP DATA", "Completed", 0, 0), stage("FILE COPY", "Completed", 268435456, 268435456), stage("PAGE COPY", "Completed", 1048576, 1048576), stage("REDO COPY", "In Progress", 2097152, 1048576), stage("FILE SYNC", "Not Started", 0, 0), stage("RESTART", "Not Started", 0, 0), stage("RECOVERY", "Not Started", 0, 0)],
];

let work: string;
let n = 0;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-clone-unit-"));
  await fs.mkdir(path.join(work, "mysql", "data"), { recursive: true });
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

function context() {
  const ac = new AbortController();
  const seen: Progress[] = [];
  const logs: string[] = [];
  let cur: Progress = { phase: "" };
  const ctx: WorkContext & { seen: Progress[]; logs: string[]; ac: AbortController } = {
    signal: ac.signal,
    ac,
    seen,
    logs,
    progress(p) {
      cur = { ...cur, ...p };
      seen.push(cur);
    },
    log(level, message) {
      logs.push(`${level}: ${message}`);
    },
  };
  return ctx;
}

/** What CLONE writes: a datadir-like tree. */
async function writeClone(dir: string) {
  await fs.mkdir(path.join(dir, "shop"), { recursive: true });
  await fs.writeFile(path.join(dir, "ibdata1"), Buffer.alloc(1 << 20, 7));
  await fs.writeFile(path.join(dir, "shop", "orders.ibd"), Buffer.alloc(300_000, 3));
  await fs.writeFile(path.join(dir, "#ib_archive"), "x");
}

async function waitFor(cond: () => boolean) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

async function run(mysql: ScriptedMysql, options: Record<string, unknown>, ctx = context(), f: ServerFacts = facts) {
  const store = new LocalStore(path.join(work, "store"));
  const id = `c${++n}`;
  const set = new BackupSetWriter(store, `db1/${id}/`, { compression: "gzip", key: null });
  const engine = createCloneEngine({ sessions: mysql.factory });
  try {
    const outcome = await engine.backup(ctx, { server: { host: "db1.example", port: 3306, user: "bk", password: "donor-secret" }, facts: f, hostName: "db1", backupId: id, set, filter: {}, parallel: 1, options: { pollIntervalMs: 10, ...options } });
    const { manifest } = await set.commit({ ...outcome, format: MANIFEST_FORMAT, id, host: { name: "db1" }, compression: { algorithm: "gzip" }, encryption: null });
    return { ok: true as const, manifest, store, id, ctx };
  } catch (e) {
    await set.abort(e);
    return { ok: false as const, error: e as Error & { retryable?: boolean }, store, id, ctx, left: await collect(store.list(`db1/${id}/`)) };
  }
}

describe("clone engine: local clone", () => {
  it("checks prerequisites, clones with live progress from clone_progress, takes coordinates from clone_status, archives and removes the clone", async () => {
    const dir = path.join(work, "mysql", `dbbackup-clone-c${n + 1}`);
    const mysql = new ScriptedMysql(
      {
        source: [version(), plugin(), grants(), nonInnodb(), connId, { sql: CLONE_LOCAL_SQL, params: [dir], effect: async () => { await writeClone(dir); await waitFor(() => mysql.polls >= 4); } }, status],
      },
      progressFeed,
    );
    const r = await run(mysql, { datadir: path.join(work, "mysql", "data") });
    if (!r.ok) throw r.error;
    expect(mysql.remaining("source")).toEqual([]);
    expect(mysql.transcript.filter((t) => t.role === "source").map((t) => t.sql)).toEqual([
      VERSION_SQL, PLUGIN_SQL, GRANTS_SQL, NON_INNODB_SQL,
      "<inventory SCHEMATA>", "<inventory TABLES>", "<inventory ROUTINES>", "<inventory TRIGGERS>", "<inventory EVENTS>",
      "SELECT CONNECTION_ID() AS id", CLONE_LOCAL_SQL, CLONE_STATUS_SQL,
    ]);
    // progress reported live while CLONE ran
    const phases = [...new Set(r.ctx.seen.map((p) => p.phase))];
    expect(phases).toEqual(expect.arrayContaining(["clone: file copy", "clone: page copy", "clone: redo copy", "archiving clone"]));
    const fileCopy = r.ctx.seen.filter((p) => p.phase === "clone: file copy").map((p) => p.bytesDone);
    expect(fileCopy[0]).toBe(67108864);
    expect(fileCopy.at(-1)).toBe(201326592);
    expect(r.ctx.seen.find((p) => p.phase === "clone: redo copy")).toMatchObject({ bytesDone: 268435456 + 1048576 + 1048576, bytesTotal: 268435456 + 1048576 + 2097152, detail: "stage 4 of 7 (REDO COPY)" });

    expect(r.manifest.engine).toBe("clone");
    expect(r.manifest.layout).toBe("tar");
    expect(r.manifest.lockMs).toBe(0);
    expect(r.manifest.coordinates).toEqual({ file: "binlog.000012", position: 4711, gtid: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5107,4f2e1a00-0000-11e1-9e33-c80aa9429562:1-3" });
    expect(r.manifest.databases.map((d) => d.name)).toEqual(["shop"]);
    // the archive holds the cloned files, and the clone directory is gone
    const reader = await BackupSetReader.open(r.store, `db1/${r.id}/`);
    const ex = tar.extract();
    (await reader.open(reader.manifest.objects[0]!)).pipe(ex as unknown as NodeJS.WritableStream);
    const names: Record<string, number> = {};
    for await (const e of ex) {
      let size = 0;
      for await (const c of e) size += (c as Buffer).length;
      names[e.header.name] = size;
    }
    expect(names).toEqual({ "#ib_archive": 1, ibdata1: 1 << 20, shop: 0, "shop/orders.ibd": 300_000 });
    await expect(fs.access(dir)).rejects.toThrow();
  });

  it("cancelled mid-clone: KILL QUERY from the monitor session, the partial clone is removed, nothing is stored", async () => {
    const dir = path.join(work, "mysql", `dbbackup-clone-c${n + 1}`);
    const ctx = context();
    const mysql = new ScriptedMysql(
      {
        source: [version(), plugin(), grants(), nonInnodb(), connId, { sql: CLONE_LOCAL_SQL, params: [dir], effect: async () => { await writeClone(dir); await waitFor(() => mysql.polls >= 2); ctx.ac.abort(new Error("cancelled by the test")); await new Promise(() => undefined); } }],
      },
      progressFeed,
    );
    const r = await run(mysql, { datadir: path.join(work, "mysql", "data") }, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toBe("cancelled by the test");
    expect(mysql.killed).toEqual(["KILL QUERY 42"]);
    await expect(fs.access(dir)).rejects.toThrow();
    expect(r.left).toEqual([]);
  });

  it.each([
    ["plugin missing", [version(), plugin(null)], /Clone plugin not found on db1: INSTALL PLUGIN clone SONAME 'mysql_clone\.so';/],
    ["plugin disabled", [version(), plugin("DISABLED")], /clone plugin on db1 is DISABLED.*INSTALL PLUGIN clone SONAME 'mysql_clone\.so'/],
    ["BACKUP_ADMIN missing", [version(), plugin(), grants("SELECT")], /Insufficient privileges on db1: the source account needs BACKUP_ADMIN: GRANT BACKUP_ADMIN ON \*\.\* TO 'bk'@'%';/],
    ["version too old", [version("8.0.16")], /runs MySQL 8\.0\.16; the clone plugin needs 8\.0\.17 or later/],
    ["MariaDB", [{ sql: VERSION_SQL, rows: [{ version: "10.11.19-MariaDB-log", comment: "Debian 12", datadir: "/var/lib/mysql/" }] }], /is MariaDB 10\.11\.19, which has no clone plugin: use the mariabackup, snapshot or logical engine/],
  ])("prerequisite: %s — stops before cloning with the remedy", async (_name, script, message) => {
    const mysql = new ScriptedMysql({ source: script as Step[] });
    const r = await run(mysql, {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(message);
    expect(mysql.transcript.map((t) => t.sql)).not.toContain(CLONE_LOCAL_SQL);
  });

  it("refuses when MyISAM tables would come back empty, unless allowed", async () => {
    const rows = [{ s: "shop", t: "legacy", e: "MyISAM" }];
    const refused = await run(new ScriptedMysql({ source: [version(), plugin(), grants(), nonInnodb(rows)] }), {});
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toMatch(/copies InnoDB only: 1 table\(s\) would come back empty: shop\.legacy \(MyISAM\)\. Convert them \(ALTER TABLE \.\.\. ENGINE=InnoDB\)/);
    const dir = path.join(work, "mysql", `dbbackup-clone-c${n + 1}`);
    const allowed = await run(new ScriptedMysql({ source: [version(), plugin(), grants(), nonInnodb(rows), connId, { sql: CLONE_LOCAL_SQL, params: [dir], effect: () => writeClone(dir) }, status] }), { allowNonInnodb: true, datadir: path.join(work, "mysql", "data") });
    expect(allowed.ok).toBe(true);
    expect(allowed.ctx.logs.join("\n")).toMatch(/warn: The clone plugin copies InnoDB only/);
  });

  it.each([
    [3873, "Clone estimated database size is 250.00 GiB. Available space 12.00 GiB is not enough.", /Free space where the clone is written .* or choose another cloneDir/, false],
    [3874, "Concurrent clone in progress. Please try after clone is complete.", /Another clone is running on db1; retry/, true],
    [1227, "Access denied; you need (at least one of) the BACKUP_ADMIN privilege(s) for this operation", /Insufficient privileges: GRANT BACKUP_ADMIN ON \*\.\* TO 'bk'@'%';/, false],
  ])("CLONE fails with error %i: explained (retryable only when waiting helps), partial clone removed", async (errno, message, advice, retryable) => {
    const dir = path.join(work, "mysql", `dbbackup-clone-c${n + 1}`);
    const mysql = new ScriptedMysql({ source: [version(), plugin(), grants(), nonInnodb(), connId, { sql: CLONE_LOCAL_SQL, params: [dir], effect: () => writeClone(dir), error: { errno, message } }] });
    const r = await run(mysql, { datadir: path.join(work, "mysql", "data") });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(message);
    expect(r.error.message).toMatch(advice);
    expect(r.error.retryable).toBe(retryable);
    await expect(fs.access(dir)).rejects.toThrow();
  });
});

describe("clone engine: remote clone (CLONE INSTANCE on a recipient)", () => {
  const recipient = { host: "127.0.0.1", port: 3307, user: "rcpt", password: "r" };

  it("allows the donor in clone_valid_donor_list, clones with the password as a parameter only, restores the list, archives from the recipient", async () => {
    const dir = path.join(work, "mysql", `dbbackup-clone-c${n + 1}`);
    const mysql = new ScriptedMysql(
      {
        source: [version(), plugin(), grants(), nonInnodb()],
        recipient: [
          version(),
          plugin(),
          grants("CLONE_ADMIN", "rcpt"),
          { sql: DONOR_LIST_SQL, rows: [{ v: "other-db:3306" }] },
          { sql: SET_DONOR_LIST_SQL, params: ["other-db:3306,source-db.example:3306"] },
          connId,
          { sql: CLONE_REMOTE_SQL, params: ["clone_user", "source-db.example", 3306, "clone-pw", dir], effect: async () => { await writeClone(dir); await waitFor(() => mysql.polls >= 2); } },
          status,
          { sql: SET_DONOR_LIST_SQL, params: ["other-db:3306"] },
        ],
      },
      progressFeed,
    );
    // the seed's YAML (clone.remote) with the CLI flag names as alternatives
    const r = await run(mysql, { clone: { remote: { enabled: true, donor_host: "source-db.example", donor_port: 3306, donor_user: "clone_user", donor_password: "clone-pw" } }, recipient });
    if (!r.ok) throw r.error;
    expect(mysql.remaining("recipient")).toEqual([]);
    expect(r.manifest.details.clone).toEqual({ mode: "remote", donor: "source-db.example:3306", recipient: "recipient 127.0.0.1:3307" });
    expect(r.manifest.coordinates?.file).toBe("binlog.000012");
    expect(JSON.stringify(r.ctx.logs) + JSON.stringify(r.manifest)).not.toContain("clone-pw");
    await expect(fs.access(dir)).rejects.toThrow();
  });

  it.each([
    ["recipient lacks CLONE_ADMIN", [version(), plugin(), grants("SELECT", "rcpt")], /recipient account needs CLONE_ADMIN: GRANT CLONE_ADMIN ON \*\.\* TO 'rcpt'@'%';/],
    ["versions differ (before 8.0.37)", [version("8.0.34"), plugin(), grants("CLONE_ADMIN", "rcpt")], /Donor db1 runs MySQL 8\.0\.35 but recipient .* runs 8\.0\.34: clone needs the same series/],
  ])("%s: refused before cloning", async (_n, rscript, message) => {
    const mysql = new ScriptedMysql({ source: [version(), plugin(), grants(), nonInnodb()], recipient: rscript as Step[] });
    const r = await run(mysql, { cloneRemote: true, cloneDonorHost: "source-db.example", recipient });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(message);
    expect(mysql.transcript.map((t) => t.sql)).not.toContain(CLONE_REMOTE_SQL);
  });

  it("ER_CLONE_SYS_CONFIG (3869) from the donor list is explained, the list is restored", async () => {
    const dir = path.join(work, "mysql", `dbbackup-clone-c${n + 1}`);
    const mysql = new ScriptedMysql({
      source: [version(), plugin(), grants(), nonInnodb()],
      recipient: [
        version(), plugin(), grants("CLONE_ADMIN", "rcpt"),
        { sql: DONOR_LIST_SQL, rows: [{ v: null }] },
        { sql: SET_DONOR_LIST_SQL, params: ["source-db.example:3306"] },
        connId,
        { sql: CLONE_REMOTE_SQL, params: ["bk", "source-db.example", 3306, "donor-secret", dir], error: { errno: 3869, message: "Clone system configuration: source-db.example:3306 is not found in clone_valid_donor_list: " } },
        { sql: SET_DONOR_LIST_SQL, params: [""] },
      ],
    });
    const r = await run(mysql, { cloneRemote: true, cloneDonorHost: "source-db.example", cloneDonorPort: 3306, recipient });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/SET GLOBAL clone_valid_donor_list = 'source-db\.example:3306';/);
    expect(mysql.remaining("recipient")).toEqual([]);
  });

  it("a remote clone without a recipient is refused with what to set", async () => {
    const r = await run(new ScriptedMysql({}), { cloneRemote: true, cloneDonorHost: "x" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/set recipient/);
  });
});

describe("clone engine availability", () => {
  const engine = createCloneEngine();
  it("names each missing prerequisite with its fix", () => {
    expect(engine.availability(facts)).toEqual({ available: true, reasons: [] });
    expect(engine.availability({ ...facts, flavor: "mariadb", version: "10.11.19" }).reasons).toEqual(["MariaDB has no clone plugin (MySQL 8.0.17+ only): use the mariabackup, snapshot or logical engine"]);
    expect(engine.availability({ ...facts, version: "5.7.44" }).reasons.join()).toMatch(/needs MySQL 8\.0\.17 or later; this is 5\.7\.44/);
    const r = engine.availability({ ...facts, clonePlugin: "absent", privileges: ["SELECT"], isLocal: false });
    expect(r.available).toBe(false);
    expect(r.reasons).toEqual([
      "Clone plugin not found: INSTALL PLUGIN clone SONAME 'mysql_clone.so';",
      "Insufficient privileges: GRANT BACKUP_ADMIN ON *.* TO 'bk'@'%';",
      expect.stringMatching(/another machine.*cloneRemote with recipient/),
    ]);
  });
});
