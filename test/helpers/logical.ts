// Shared by the logical-*.test.ts files: sandboxes in a given time zone, the nasty fixture, and a
// description of databases (definitions, checksums, counts) to compare a source with a restored copy.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import { afterAll } from "vitest";
import type { WorkContext, Progress } from "../../server/work-context";
import { introspectServer } from "../../server/mysql/introspect";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";

export const NASTY = "n'a\"s `t;y ü";
export const OTHER = "other db";
export const FIXTURE = path.join(import.meta.dirname, "../fixtures/nasty-schema.sql");

export async function sandboxInZone(tz: string, args: string[] = []): Promise<Sandbox> {
  const sb = await startSandbox({ args: [`--default-time-zone=${tz}`, ...args] });
  afterAll(async () => {
    await sb.stop();
  });
  return sb;
}

/** Runs a shell pipeline (bash, pipefail) and fails with its stderr. */
export function sh(cmd: string, input?: Buffer | string) {
  const r = spawnSync("bash", ["-o", "pipefail", "-c", cmd], { input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.toString().slice(-2000)}`);
  return r.stdout.toString();
}

export function client(sb: Sandbox, extra = "") {
  return `mariadb -h127.0.0.1 -P${sb.port} -uroot ${extra}`;
}

export function loadFixture(sb: Sandbox, file = FIXTURE) {
  sh(client(sb, "--default-character-set=utf8mb4"), fs.readFileSync(file));
}

export async function factsOf(sb: Sandbox) {
  const c = await sb.connect();
  try {
    return await introspectServer(c, sb.address());
  } finally {
    await c.end();
  }
}

export function testContext(signal: AbortSignal = new AbortController().signal) {
  const logs: string[] = [];
  const progress: Partial<Progress>[] = [];
  const ctx: WorkContext = { signal, progress: (p) => progress.push(p), log: (level, m) => logs.push(`${level}: ${m}`) };
  return { ctx, logs, progress };
}

/** A connection whose results are raw bytes (character_set_results = binary; statements are UTF-8). */
export async function rawConnection(sb: Sandbox) {
  const c = await mysql.createConnection({ host: "127.0.0.1", port: sb.port, user: "root", charset: "utf8mb4_general_ci", multipleStatements: false });
  await c.query("SET SESSION character_set_results = binary");
  return c;
}

async function raw(c: mysql.Connection, sql: string): Promise<(Buffer | null)[][]> {
  const [rows] = await c.query({ sql, rowsAsArray: true, typeCast: false } as mysql.QueryOptions);
  return rows as unknown as (Buffer | null)[][];
}

const q = (n: string) => "`" + n.replace(/`/g, "``") + "`";
const text = (b: Buffer | null) => (b === null ? "NULL" : b.toString("latin1"));

/**
 * Everything a DBA would compare after a restore, keyed by object: SHOW CREATE of the database and
 * of every table, view, sequence, procedure, function, trigger (without its creation time) and
 * event, CHECKSUM TABLE ... EXTENDED and COUNT(*) of every table, the state of every sequence.
 * Values are the raw bytes (latin1-decoded), so definitions in any client character set compare
 * exactly. Keys use the database's position, so renamed copies line up.
 */
export async function describeDatabases(sb: Sandbox, dbs: string[]): Promise<Record<string, string>> {
  const c = await rawConnection(sb);
  const out: Record<string, string> = {};
  try {
    for (const [i, db] of dbs.entries()) {
      const k = (what: string) => `db${i}/${what}`;
      await c.query(`USE ${q(db)}`);
      out[k("database")] = text((await raw(c, `SHOW CREATE DATABASE ${q(db)}`))[0]![1]!);
      for (const [name, type] of await raw(c, "SHOW FULL TABLES")) {
        const t = name!.toString("utf8");
        const kind = type!.toString();
        if (kind === "VIEW") {
          out[k(`view ${t}`)] = (await raw(c, `SHOW CREATE VIEW ${q(t)}`))[0]!.map(text).join(" | ");
        } else if (kind === "SEQUENCE") {
          out[k(`sequence ${t}`)] = text((await raw(c, `SHOW CREATE SEQUENCE ${q(t)}`))[0]![1]!);
          out[k(`sequence state ${t}`)] = (await raw(c, `SELECT * FROM ${q(t)}`))[0]!.map(text).join(" | ");
        } else {
          out[k(`table ${t}`)] = text((await raw(c, `SHOW CREATE TABLE ${q(t)}`))[0]![1]!);
          out[k(`checksum ${t}`)] = text((await raw(c, `CHECKSUM TABLE ${q(t)} EXTENDED`))[0]![1]!);
          out[k(`count ${t}`)] = text((await raw(c, `SELECT COUNT(*) FROM ${q(t)}`))[0]![0]!);
        }
      }
      for (const [name, type] of await raw(c, `SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()`)) {
        const r = (await raw(c, `SHOW CREATE ${type!.toString()} ${q(name!.toString("utf8"))}`))[0]!;
        out[k(`${type!.toString().toLowerCase()} ${name!.toString("utf8")}`)] = r.map(text).join(" | ");
      }
      for (const [name] of await raw(c, `SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`)) {
        const r = (await raw(c, `SHOW CREATE TRIGGER ${q(name!.toString("utf8"))}`))[0]!;
        out[k(`trigger ${name!.toString("utf8")}`)] = r.slice(0, 6).map(text).join(" | ");
      }
      for (const [table, event, timing, order] of await raw(
        c,
        `SELECT EVENT_OBJECT_TABLE, EVENT_MANIPULATION, ACTION_TIMING, GROUP_CONCAT(TRIGGER_NAME ORDER BY ACTION_ORDER) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() GROUP BY 1, 2, 3`,
      )) {
        out[k(`trigger order ${text(table)} ${text(timing)} ${text(event)}`)] = text(order);
      }
      for (const [name] of await raw(c, `SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()`)) {
        out[k(`event ${name!.toString("utf8")}`)] = (await raw(c, `SHOW CREATE EVENT ${q(name!.toString("utf8"))}`))[0]!.map(text).join(" | ");
      }
    }
  } finally {
    await c.end();
  }
  return out;
}

/** Grants of accounts, for comparing accounts restored with the backup. */
export async function describeAccounts(sb: Sandbox, accounts: string[]): Promise<Record<string, string>> {
  const c = await rawConnection(sb);
  const out: Record<string, string> = {};
  try {
    for (const a of accounts) out[a] = (await raw(c, `SHOW GRANTS FOR ${a}`)).map((r) => text(r[0]!)).sort().join("\n");
  } finally {
    await c.end();
  }
  return out;
}

/**
 * The description of `src` as it should look after restoring under new names: each database name,
 * in every quoting the definitions use, replaced by the new (backquoted) one, in UTF-8 and latin1.
 */
export function renamed(desc: Record<string, string>, renames: Record<string, string>): Record<string, string> {
  const pairs: [string, string][] = [];
  for (const [from, to] of Object.entries(renames)) {
    const bq = (n: string) => "`" + n.replace(/`/g, "``") + "`";
    const dq = (n: string) => '"' + n.replace(/"/g, '""') + '"';
    for (const enc of ["utf8", "latin1"] as const) {
      const asBytes = (s: string) => Buffer.from(s, enc).toString("latin1");
      pairs.push([asBytes(bq(from)), asBytes(bq(to))], [asBytes(dq(from)), asBytes(bq(to))]);
    }
  }
  const sub = (s: string) => pairs.reduce((acc, [a, b]) => acc.split(a).join(b), s);
  return Object.fromEntries(Object.entries(desc).map(([k, v]) => [k, sub(v)]));
}

/** Routines whose text is in latin1 and in sjis bytes (a 0x5C second byte before the closing quote), naming other databases. */
export async function createCharsetRoutines(sb: Sandbox) {
  // latin1 handshake and no session tracking: statements go out as the bytes given, whatever SET NAMES says
  const c = await mysql.createConnection({ host: "127.0.0.1", port: sb.port, user: "root", charset: "latin1_swedish_ci", flags: ["-SESSION_TRACK"] });
  try {
    await c.query("SET NAMES utf8mb4");
    await c.query(Buffer.from(`USE ${q(NASTY)}`, "utf8").toString("latin1"));
    await c.query("SET NAMES latin1");
    // latin1 bytes: the database name's "ü" is one byte 0xFC here
    await c.query(`CREATE PROCEDURE p_latin1_ref() SELECT 'été' AS s, COUNT(*) AS n FROM ${q(NASTY)}.parent`);
    await c.query("SET NAMES sjis");
    const body = Buffer.concat([Buffer.from("CREATE PROCEDURE p_sjis() SELECT '"), Buffer.from([0x95, 0x5c]), Buffer.from(`' AS s, COUNT(*) AS n FROM \`${OTHER}\`.o`)]);
    await c.query(body.toString("latin1"));
  } finally {
    await c.end();
  }
}

/** Accounts with grants on the fixture's databases. */
export async function createAccounts(sb: Sandbox) {
  await sb.sql(`CREATE USER 'app'@'%' IDENTIFIED BY 'app-secret-1';
    GRANT SELECT, INSERT ON ${q(NASTY)}.* TO 'app'@'%';
    GRANT SELECT (id), UPDATE (name) ON ${q(NASTY)}.parent TO 'app'@'%';
    GRANT EXECUTE ON PROCEDURE ${q(NASTY)}.p_latin1 TO 'app'@'%';
    CREATE ROLE reader;
    GRANT SELECT ON ${q(OTHER)}.* TO reader;
    GRANT reader TO 'app'@'%';
    SET DEFAULT ROLE reader FOR 'app'@'%';`);
}
