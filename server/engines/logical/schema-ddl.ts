import type mysql from "mysql2/promise";
import { DomainError } from "../../errors";
import type { Flavor } from "../../mysql/server-facts";
import { clientCharset, frame, frameText } from "./framing";
import type { DatabaseInfo } from "./inventory";
import { rawRows, textRows } from "./meta-query";
import { qualified, quoteIdent, quoteString } from "./sql-text";

/** Writes framed statements; resolves when the sink can take more. */
export type Emit = (parts: Buffer[]) => Promise<void>;

/** sql_mode of every load session: keep AUTO_INCREMENT value 0 as 0, fail on a missing engine. */
export const LOAD_SQL_MODE = "NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION";

export function loadSessionSet(): Buffer[] {
  return frameText(`SET SESSION sql_mode = '${LOAD_SQL_MODE}', time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0`, { k: "set" });
}

const utf8 = (b: Buffer | null) => (b === null ? "" : b.toString("utf8"));

function must(b: Buffer | null | undefined, what: string, fix: string): Buffer {
  if (!b) throw new DomainError("FORBIDDEN", `The server returned no definition for ${what}: the backup account may not read it. ${fix}`);
  return b;
}

/**
 * The schema object of a database: CREATE DATABASE, its tables and sequences (with their current
 * value), and placeholder views (SELECT 1 AS col ...) so that views referring to views in any order,
 * or in other databases, can be created later.
 */
/**
 * Options of the schema and post-data writers. `replayable` (the single SQL file) makes the text
 * replay onto a server that already has the database, as a DBA expects of a dump (mariadb-dump's
 * defaults): CREATE DATABASE IF NOT EXISTS, and each table, sequence, routine and event dropped
 * (IF EXISTS) before it is created, so the dumped objects replace those of the same name and
 * anything else in the database is left alone. Backup sets keep plain CREATE DATABASE: their
 * restore checks the target first and renames.
 */
export type DdlOptions = { replayable?: boolean };

const CREATE_DATABASE = Buffer.from("CREATE DATABASE ");

/** CREATE DATABASE `x` ... as CREATE DATABASE IF NOT EXISTS `x` ... */
export function createDatabaseIfNotExists(stmt: Buffer): Buffer {
  if (!stmt.subarray(0, CREATE_DATABASE.length).equals(CREATE_DATABASE)) return stmt;
  return Buffer.concat([Buffer.from("CREATE DATABASE IF NOT EXISTS "), stmt.subarray(CREATE_DATABASE.length)]);
}

export async function writeSchema(meta: mysql.Connection, db: DatabaseInfo, emit: Emit, fix: { grant(priv: string, scope: string): string }, ddl: DdlOptions = {}) {
  await emit([clientCharset("utf8mb4"), ...frameText("SET NAMES utf8mb4", { k: "set" })]);
  await emit(loadSessionSet());
  const cdb = await rawRows(meta, `SHOW CREATE DATABASE ${quoteIdent(db.name)}`);
  const createDb = must(cdb[0]?.[1], `database ${db.name}`, "");
  await emit(frame(ddl.replayable ? createDatabaseIfNotExists(createDb) : createDb, { k: "create-database", db: db.name }));
  await emit(frameText(`USE ${quoteIdent(db.name)}`, { k: "use", db: db.name }));
  for (const t of db.tables) {
    if (ddl.replayable) await emit(frameText(`DROP ${t.kind === "sequence" ? "SEQUENCE" : "TABLE"} IF EXISTS ${quoteIdent(t.name)}`, { k: "drop", name: t.name }));
    if (t.kind === "sequence") {
      const r = await rawRows(meta, `SHOW CREATE SEQUENCE ${qualified(db.name, t.name)}`);
      await emit(frame(must(r[0]?.[1], `sequence ${db.name}.${t.name}`, ""), { k: "sequence", name: t.name }));
      const v = await textRows(meta, `SELECT next_not_cached_value, cycle_count FROM ${qualified(db.name, t.name)}`);
      if (v[0]) await emit(frameText(`DO SETVAL(${quoteIdent(t.name)}, ${v[0][0]}, 0, ${v[0][1]})`, { k: "setval", name: t.name }));
      continue;
    }
    const r = await rawRows(meta, `SHOW CREATE TABLE ${qualified(db.name, t.name)}`);
    await emit(frame(must(r[0]?.[1], `table ${db.name}.${t.name}`, fix.grant("SELECT", `${quoteIdent(db.name)}.*`)), { k: "table", name: t.name }));
  }
  for (const v of db.views) {
    const cols = v.columns.length ? v.columns : ["dbbackup_placeholder"];
    await emit(frameText(`CREATE OR REPLACE VIEW ${quoteIdent(v.name)} AS SELECT ${cols.map((c) => `1 AS ${quoteIdent(c)}`).join(", ")}`, { k: "placeholder-view", name: v.name }));
  }
}

type Ctx = { sqlMode?: string; cs: string; coll: string; timeZone?: string };

/** Client character sets with multi-byte characters whose second byte can be ' \\ or a backquote. */
const RISKY_CS = new Set(["sjis", "cp932", "gbk", "big5", "gb18030"]);

/**
 * A definition in its own client character set. For the character sets whose second bytes can be a
 * quote or a backslash, the stock client must split the text in that character set too: the
 * `charset` client command (a line the loader skips) switches it.
 */
async function inContext(emit: Emit, c: Ctx, body: () => Promise<void>) {
  const risky = RISKY_CS.has(c.cs.toLowerCase());
  if (risky) await emit([clientCharset(c.cs)]);
  await emit(contextSet(c));
  await body();
  if (risky) await emit([clientCharset("utf8mb4"), ...frameText("SET NAMES utf8mb4", { k: "set" })]);
}

function contextSet(c: Ctx): Buffer[] {
  const parts = [];
  if (c.sqlMode !== undefined) parts.push(`sql_mode = ${quoteString(c.sqlMode)}`);
  if (c.timeZone !== undefined) parts.push(`time_zone = ${quoteString(c.timeZone)}`);
  parts.push(`character_set_client = ${c.cs}`, `collation_connection = ${c.coll}`);
  return frameText(`SET SESSION ${parts.join(", ")}`, { k: "set" });
}

/** Views ordered so that a view comes after the views it names (cycles from false matches keep name order). */
export function orderViews(views: { name: string; text: Buffer }[]): { name: string; text: Buffer }[] {
  const names = new Set(views.map((v) => v.name));
  const deps = new Map<string, Set<string>>();
  for (const v of views) {
    const d = new Set<string>();
    for (const other of names) if (other !== v.name && v.text.includes(Buffer.from(quoteIdent(other)))) d.add(other);
    deps.set(v.name, d);
  }
  const out: typeof views = [];
  const done = new Set<string>();
  let rest = [...views];
  while (rest.length) {
    const ready = rest.filter((v) => [...deps.get(v.name)!].every((d) => done.has(d)));
    const take = ready.length ? ready : [rest[0]!];
    for (const v of take) {
      out.push(v);
      done.add(v.name);
    }
    rest = rest.filter((v) => !done.has(v.name));
  }
  return out;
}

const CREATE = Buffer.from("CREATE ");

/**
 * The post-data object of a database: views (replacing their placeholders, in dependency order),
 * routines, triggers and events, each created under the sql_mode, client character set, collation
 * and time zone it was defined with. Definitions are read with character_set_results = binary, so
 * they arrive in the bytes of their own client character set, and are replayed under it unchanged.
 */
export async function writePostData(meta: mysql.Connection, db: DatabaseInfo, flavor: Flavor, emit: Emit, fix: { grant(priv: string, scope: string): string }, ddl: DdlOptions = {}) {
  await emit([clientCharset("utf8mb4"), ...frameText("SET NAMES utf8mb4", { k: "set" }), ...frameText(`USE ${quoteIdent(db.name)}`, { k: "use", db: db.name })]);
  // SHOW CREATE VIEW leaves references to the current database unqualified: views stay portable
  await meta.query(`USE ${quoteIdent(db.name)}`);
  const scope = `${quoteIdent(db.name)}.*`;
  const views: { name: string; text: Buffer; cs: string; coll: string }[] = [];
  for (const v of db.views) {
    const r = await rawRows(meta, `SHOW CREATE VIEW ${qualified(db.name, v.name)}`);
    const text = must(r[0]?.[1], `view ${db.name}.${v.name}`, fix.grant("SHOW VIEW", scope));
    views.push({ name: v.name, text, cs: utf8(r[0]![2]!), coll: utf8(r[0]![3]!) });
  }
  for (const v of orderViews(views) as typeof views) {
    const body = v.text.subarray(0, CREATE.length).equals(CREATE) ? Buffer.concat([Buffer.from("CREATE OR REPLACE "), v.text.subarray(CREATE.length)]) : v.text;
    await inContext(emit, { cs: v.cs, coll: v.coll }, () => emit(frame(body, { k: "view", name: v.name })));
  }
  // routines, triggers and events remember the database collation they were created under
  const withDbCollation = async (dbColl: string, create: () => Promise<void>) => {
    if (dbColl && dbColl !== db.collation) {
      const alter = (coll: string) => [...frameText("SET NAMES utf8mb4", { k: "set" }), ...frameText(`ALTER DATABASE ${quoteIdent(db.name)} COLLATE ${coll}`, { k: "alter-database", db: db.name })];
      await emit(alter(dbColl));
      await create();
      await emit(alter(db.collation));
    } else await create();
  };
  const routineFix = flavor === "mariadb" ? fix.grant("SELECT", "`mysql`.`proc`") : fix.grant("SHOW_ROUTINE", "*.*");
  for (const r of db.routines) {
    const rows = await rawRows(meta, `SHOW CREATE ${r.type} ${qualified(db.name, r.name)}`);
    const row = rows[0];
    const text = must(row?.[2], `${r.type.toLowerCase()} ${db.name}.${r.name}`, routineFix);
    if (ddl.replayable) await emit(frameText(`DROP ${r.type} IF EXISTS ${quoteIdent(r.name)}`, { k: "drop", name: r.name }));
    await withDbCollation(utf8(row![5]!), () => inContext(emit, { sqlMode: utf8(row![1]!), cs: utf8(row![3]!), coll: utf8(row![4]!) }, () => emit(frame(text, { k: "routine", name: r.name }, true))));
  }
  for (const t of db.triggers) {
    const rows = await rawRows(meta, `SHOW CREATE TRIGGER ${qualified(db.name, t.name)}`);
    const row = rows[0];
    const text = must(row?.[2], `trigger ${db.name}.${t.name}`, fix.grant("TRIGGER", scope));
    await withDbCollation(utf8(row![5]!), () => inContext(emit, { sqlMode: utf8(row![1]!), cs: utf8(row![3]!), coll: utf8(row![4]!) }, () => emit(frame(text, { k: "trigger", name: t.name }, true))));
  }
  for (const ev of db.events) {
    const rows = await rawRows(meta, `SHOW CREATE EVENT ${qualified(db.name, ev)}`);
    const row = rows[0];
    const text = must(row?.[3], `event ${db.name}.${ev}`, fix.grant("EVENT", scope));
    if (ddl.replayable) await emit(frameText(`DROP EVENT IF EXISTS ${quoteIdent(ev)}`, { k: "drop", name: ev }));
    await withDbCollation(utf8(row![6]!), () =>
      inContext(emit, { sqlMode: utf8(row![1]!), timeZone: utf8(row![2]!), cs: utf8(row![4]!), coll: utf8(row![5]!) }, () => emit(frame(text, { k: "event", name: ev }, true))),
    );
  }
  await emit(frameText("SET NAMES utf8mb4", { k: "set" }));
  await emit(loadSessionSet());
}

const SYSTEM_ACCOUNTS = new Set(["mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema", "PUBLIC"]);

/** Accounts and roles as CREATE USER/ROLE IF NOT EXISTS and their GRANTs (existing accounts are not altered). */
/** The database and object a GRANT is on, when it is on one object (table, column, routine). */
function grantTarget(text: string): { db: string; object: string } | null {
  const m = /\sON\s+(?:(?:TABLE|FUNCTION|PROCEDURE|PACKAGE BODY|PACKAGE)\s+)?`((?:[^`]|``)+)`\.`((?:[^`]|``)+)`\s+TO\s/.exec(text);
  return m ? { db: m[1]!.replace(/``/g, "`"), object: m[2]!.replace(/``/g, "`") } : null;
}

/**
 * `databases`: the databases in this backup. Grants on single objects (tables, columns, routines)
 * of other databases are left out: they could not be applied where those objects do not exist.
 */
export async function writeUsers(meta: mysql.Connection, flavor: Flavor, emit: Emit, warn: (message: string) => void, databases: string[]) {
  const dumped = new Set(databases);
  await emit([clientCharset("utf8mb4"), ...frameText("SET NAMES utf8mb4", { k: "set" })]);
  const rows = await textRows(meta, flavor === "mariadb" ? "SELECT User, Host, is_role FROM mysql.user ORDER BY is_role DESC, User, Host" : "SELECT User, Host, 'N' FROM mysql.user ORDER BY User, Host");
  const acct = (u: string, h: string) => `${quoteString(u)}@${quoteString(h)}`;
  const accounts: (string | null)[][] = [];
  for (const a of rows.filter((r) => !SYSTEM_ACCOUNTS.has(r[0] ?? ""))) {
    const [user, host, isRole] = a;
    if (isRole === "Y") {
      await emit(frameText(`CREATE ROLE IF NOT EXISTS ${quoteString(user!)}`, { k: "user", name: user! }));
      accounts.push(a);
      continue;
    }
    let r: (Buffer | null)[][];
    try {
      r = await rawRows(meta, `SHOW CREATE USER ${acct(user!, host!)}`);
    } catch (e) {
      // e.g. an account with a host name on a server running with skip-name-resolve: it cannot log in
      if ((e as { errno?: number }).errno === 1133) {
        warn(`Account ${acct(user!, host!)} is in mysql.user but the server does not load it (host names are ignored with skip-name-resolve); it is not backed up.`);
        continue;
      }
      throw e;
    }
    const text = utf8(r[0]?.[0] ?? null).replace(/^CREATE USER /, "CREATE USER IF NOT EXISTS ");
    await emit(frameText(text, { k: "user", name: `${user}@${host}` }));
    accounts.push(a);
  }
  for (const [user, host, isRole] of accounts) {
    const g = await rawRows(meta, `SHOW GRANTS FOR ${isRole === "Y" ? quoteString(user!) : acct(user!, host!)}`);
    for (const row of g) {
      // MariaDB's SHOW GRANTS repeats the password; GRANT ... IDENTIFIED would reset an existing account's
      const text = utf8(row[0]!).replace(/ IDENTIFIED (?:BY PASSWORD '[^']*'|VIA .*?)(?= REQUIRE | WITH |$)/, "");
      const on = grantTarget(text);
      if (on && !dumped.has(on.db)) continue;
      await emit(frameText(text, { k: "grant", name: isRole === "Y" ? user! : `${user}@${host}` }));
    }
  }
}
