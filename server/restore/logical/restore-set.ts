import type mysql from "mysql2/promise";
import type { BackupSetReader } from "../../artifact/backup-set-reader";
import type { ManifestObject } from "../../artifact/manifest";
import { DomainError } from "../../errors";
import { abortError } from "../../engines/logical/dump-session";
import { explainStepError } from "../../engines/logical/errors";
import type { FramedStatement } from "../../engines/logical/framing";
import { ConnectionSet } from "../../engines/logical/session";
import { quoteIdent } from "../../engines/logical/sql-text";
import { TaskQueue, type Task } from "../../engines/logical/task-queue";
import { describeAddress, type ServerAddress } from "../../mysql/connection-options";
import type { WorkContext } from "../../work-context";
import { applyObject, type StatementState } from "./apply-object";
import { splitSecondaryKeys } from "./deferred-keys";
import { execBytes, openLoader } from "./load-session";
import { NameCodec } from "./name-codec";
import { renameFirstIdentifier, renameQualified } from "./rename";

export type RestoreLogicalOptions = {
  reader: BackupSetReader;
  target: ServerAddress;
  /** source database -> target database */
  rename?: Record<string, string>;
  /** restore only these source databases (default: all) */
  databases?: string[];
  parallel?: number;
  /** drop target databases that exist (otherwise their existence fails the restore before anything is done) */
  dropExisting?: boolean;
  /** write the restore to the target's binary log (default true; false needs SUPER/BINLOG ADMIN) */
  writeBinlog?: boolean;
  /** restore accounts and grants when the backup has them (default: when all databases are restored) */
  users?: boolean;
  /** build plain secondary indexes after the data (default true) */
  deferIndexes?: boolean;
};

export type RestoreLogicalResult = { databases: string[]; tables: number; rows: number; bytes: number; ms: number };

/** Tables smaller than this keep their indexes during the load (the ALTER would cost more). */
const DEFER_MIN_ROWS = 10_000;

const REWRITTEN = new Set(["table", "view", "routine", "trigger", "event", "grant"]);

/**
 * Restores a "logical-set" backup in parallel: schema objects (per database, in parallel), data
 * objects over `parallel` connections (the chunks of all tables interleaved, several connections
 * per big table), deferred secondary indexes as each table completes, then views, routines,
 * triggers and events per database, then accounts. Databases can be renamed on the way.
 */
export async function restoreLogicalSet(ctx: WorkContext, opts: RestoreLogicalOptions): Promise<RestoreLogicalResult> {
  const t0 = performance.now();
  const { reader, target } = opts;
  const m = reader.manifest;
  const where = describeAddress(target);
  if (m.layout !== "logical-set") throw new DomainError("PRECONDITION", `${reader.describe()} is a ${m.layout} backup, not a logical backup set.`);
  const known = new Map(m.databases.map((d) => [d.name, d]));
  const sources = opts.databases?.length ? opts.databases : m.databases.map((d) => d.name);
  const unknown = sources.filter((d) => !known.has(d));
  if (unknown.length) throw new DomainError("NOT_FOUND", `The backup ${m.id} has no database ${unknown.map((d) => quoteIdent(d)).join(", ")} (it has ${m.databases.map((d) => quoteIdent(d.name)).join(", ") || "none"}).`, { field: "databases" });
  const targetOf = (d: string) => opts.rename?.[d] ?? d;
  const targets = sources.map(targetOf);
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup) throw new DomainError("INVALID", `Two databases would be restored as ${quoteIdent(dup)}; give each its own name.`, { field: "rename" });
  const renames = new Map(sources.filter((d) => targetOf(d) !== d).map((d) => [d, targetOf(d)]));
  const parallel = Math.max(1, Math.min(64, Math.floor(opts.parallel ?? 4)));
  const writeBinlog = opts.writeBinlog ?? true;
  const restoreUsers = opts.users ?? !opts.databases?.length;

  const conns = new ConnectionSet();
  let failure: Error | null = null;
  const queue = new TaskQueue();
  const fail = (e: Error) => {
    if (failure) return;
    failure = e;
    queue.close();
    conns.destroyAll();
  };
  const onAbort = () => fail(abortError(ctx.signal));
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const check = () => {
    if (failure) throw failure;
    if (ctx.signal.aborted) throw abortError(ctx.signal);
  };

  const objectsOf = (role: string, db?: string) => m.objects.filter((o) => o.role === role && (db === undefined || o.database === db));
  const selected = sources.map((d) => known.get(d)!);
  const dataObjects = selected.flatMap((d) => objectsOf("data", d.name));
  const usersObject = restoreUsers ? objectsOf("users")[0] : undefined;
  const totals = {
    bytesTotal: [...selected.flatMap((d) => [...objectsOf("schema", d.name), ...objectsOf("post-data", d.name)]), ...dataObjects, ...(usersObject ? [usersObject] : [])].reduce((s, o) => s + o.rawSize, 0),
    rowsTotal: dataObjects.reduce((s, o) => s + (o.rows ?? 0), 0),
    tablesTotal: selected.reduce((s, d) => s + d.tables.filter((t) => t.kind === "table").length, 0),
  };
  let bytesDone = 0;
  let rowsDone = 0;
  let tablesDone = 0;
  let phase = "checking the target";
  let last = 0;
  const report = (force = false, detail?: string) => {
    const now = Date.now();
    if (!force && now - last < 200) return;
    last = now;
    ctx.progress({ phase, bytesDone, rowsDone, tablesDone, ...totals, ...(detail ? { detail } : {}) });
  };
  const counted = (f: FramedStatement) => {
    bytesDone += f.sql.length;
    rowsDone += f.meta.rows ?? 0;
    report();
  };
  /** Applies an object, counting its statements as they run and its whole raw size once done. */
  const apply = async (conn: mysql.Connection, o: ManifestObject, hooks: Parameters<typeof applyObject>[4] = {}) => {
    let seen = 0;
    await applyObject(conn, reader, o, target, {
      ...hooks,
      onStatement: (f) => {
        seen += f.sql.length;
        counted(f);
      },
    });
    bytesDone += o.rawSize - seen;
    report();
  };

  // rewriting of one database's statements (the codec needs a connection: set once connected)
  const localNames = new Map(selected.map((d) => [d.name, [...d.tables.map((t) => t.name), ...d.views]]));
  let codec: NameCodec | null = null;
  const rewrite =
    (db: string | undefined) =>
    async (f: FramedStatement, st: StatementState): Promise<Buffer> => {
      const k = f.meta.k;
      if ((k === "create-database" || k === "alter-database") && f.meta.db && renames.has(f.meta.db)) return renameFirstIdentifier(f.sql, f.meta.db, renames.get(f.meta.db)!);
      if (k === "use" && f.meta.db) return Buffer.from(`USE ${quoteIdent(targetOf(f.meta.db))}`, "utf8");
      if (renames.size && REWRITTEN.has(k)) {
        const rc = await codec!.context(db, st.charset, { ansiQuotes: /ANSI_QUOTES|\bANSI\b/.test(st.sqlMode), noBackslashEscapes: /NO_BACKSLASH_ESCAPES/.test(st.sqlMode) });
        return renameQualified(f.sql, rc);
      }
      return f.sql;
    };

  try {
    ctx.progress({ phase, ...totals });
    const control = await openLoader(conns, target, { writeBinlog });
    codec = new NameCodec(control, renames, localNames);
    const [rows] = await control.query(`SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA`);
    const existing = new Set((rows as { n: Buffer | string }[]).map((r) => r.n.toString()));
    const clash = targets.filter((t) => existing.has(t));
    if (clash.length && !opts.dropExisting)
      throw new DomainError("CONFLICT", `${where} already has database ${clash.map((c) => quoteIdent(c)).join(", ")}. Restore under another name (rename), or allow replacing existing databases. Nothing was changed.`, { field: "rename" });
    check();
    for (const c of clash) await control.query(`DROP DATABASE ${quoteIdent(c)}`);
    const loaders: mysql.Connection[] = [control];
    while (loaders.length < parallel) loaders.push(await openLoader(conns, target, { writeBinlog }));
    const currentDb = new Map<mysql.Connection, string>();
    const use = async (c: mysql.Connection, db: string) => {
      if (currentDb.get(c) === db) return;
      await execBytes(c, Buffer.from(`USE ${quoteIdent(db)}`, "utf8"));
      currentDb.set(c, db);
    };

    // schema: read each schema object's DDL first (it is small) to decide which indexes to defer
    phase = "schema";
    report(true);
    const deferred = new Map<string, { table: string; keys: string[] }[]>();
    // one database at a time per connection (a schema object's SET statements shape its session)
    let nextDb = 0;
    await Promise.all(
      loaders.map(async (conn) => {
        for (let i = nextDb++; i < selected.length; i = nextDb++) await createSchema(conn, selected[i]!);
      }),
    );
    async function createSchema(conn: mysql.Connection, d: (typeof selected)[number]) {
      const schema = objectsOf("schema", d.name)[0];
      if (!schema) throw new DomainError("INVALID", `${reader.describe()} has no schema object for ${quoteIdent(d.name)}: the backup is incomplete.`);
      const rowsOf = new Map(d.tables.map((t) => [t.name, t.rows]));
      const statements: { f: FramedStatement; sql: Buffer | null }[] = [];
      await applyObject(conn, reader, schema, target, {
        transform: async (f, st) => {
          statements.push({ f, sql: await rewrite(d.name)(f, st) });
          return null;
        },
      });
      const referenced = new Set<string>();
      for (const s of statements) if (s.f.meta.k === "table") for (const mm of s.f.sql.toString("utf8").matchAll(/REFERENCES `((?:[^`]|``)+)`(?:\.`((?:[^`]|``)+)`)? \(/g)) referenced.add((mm[2] ?? mm[1]!).replace(/``/g, "`"));
      const keys: { table: string; keys: string[] }[] = [];
      let seen = 0;
      for (const s of statements) {
        const f = s.f;
        let sql = s.sql!;
        if (f.meta.k === "table" && opts.deferIndexes !== false && (rowsOf.get(f.meta.name!) ?? 0) >= DEFER_MIN_ROWS && !referenced.has(f.meta.name!)) {
          const split = splitSecondaryKeys(sql.toString("utf8"));
          if (split) {
            sql = Buffer.from(split.create, "utf8");
            keys.push({ table: f.meta.name!, keys: split.keys });
          }
        }
        try {
          await execBytes(conn, sql);
        } catch (e) {
          throw new DomainError("INVALID", `Restoring ${schema.path} (${quoteIdent(d.name)}) on ${where} failed at ${f.meta.k} ${f.meta.name ?? ""}: ${explainStepError(e, { address: target, doing: "creating the schema" }).message}`, { cause: e });
        }
        counted(f);
        seen += f.sql.length;
      }
      bytesDone += schema.rawSize - seen;
      currentDb.set(conn, targetOf(d.name));
      deferred.set(d.name, keys);
    }
    check();

    // data: chunks of all tables interleaved (chunk 0 of every table, then chunk 1, ...), biggest first
    phase = "data";
    report(true);
    const byTable = new Map<string, ManifestObject[]>();
    for (const o of dataObjects) {
      const k = `${o.database}\u0000${o.table}`;
      if (!byTable.has(k)) byTable.set(k, []);
      byTable.get(k)!.push(o);
    }
    const tables = selected.flatMap((d) => d.tables.filter((t) => t.kind === "table").map((t) => ({ db: d.name, t })));
    tables.sort((a, b) => b.t.rawBytes - a.t.rawBytes);
    const tasks: Task[] = [];
    const remaining = new Map<string, number>();
    const tableDone = (db: string, table: string) => {
      tablesDone++;
      const keys = deferred.get(db)?.find((x) => x.table === table);
      if (keys) {
        queue.push([
          {
            label: `indexes of ${quoteIdent(targetOf(db))}.${quoteIdent(table)}`,
            order: [-1],
            run: async (c) => {
              await use(c, targetOf(db));
              report(true, `building ${keys.keys.length} index(es) of ${db}.${table}`);
              await execBytes(c, Buffer.from(`ALTER TABLE ${quoteIdent(table)} ${keys.keys.map((k) => `ADD ${k}`).join(", ")}`, "utf8"));
            },
          },
        ]);
      }
      report(true);
    };
    tables.forEach(({ db, t }, rank) => {
      const k = `${db}\u0000${t.name}`;
      const objs = (byTable.get(k) ?? []).sort((a, b) => (a.chunk ?? 0) - (b.chunk ?? 0));
      remaining.set(k, objs.length);
      if (!objs.length) tableDone(db, t.name);
      objs.forEach((o, i) =>
        tasks.push({
          label: `${o.path} (${quoteIdent(db)}.${quoteIdent(t.name)})`,
          order: [i, rank],
          run: async (c) => {
            await use(c, targetOf(db));
            await apply(c, o);
            const left = remaining.get(k)! - 1;
            remaining.set(k, left);
            if (left === 0) tableDone(db, t.name);
          },
        }),
      );
    });
    queue.push(tasks);
    await Promise.all(
      loaders.map(async (c) => {
        // data objects carry no SET NAMES: they are read as bytes
        await c.query("SET NAMES binary");
        for (;;) {
          const t = await queue.next();
          if (!t) return;
          try {
            await t.run(c);
          } catch (e) {
            fail(failure ?? (e instanceof DomainError ? e : explainStepError(e, { address: target, doing: `restoring ${t.label}` })));
            return;
          } finally {
            queue.finished();
          }
        }
      }),
    );
    check();

    // views, routines, triggers, events: after the data, so triggers did not fire during the load
    phase = "definitions";
    report(true);
    for (const d of selected) {
      for (const o of objectsOf("post-data", d.name)) await apply(control, o, { transform: rewrite(d.name) });
      check();
    }
    if (usersObject) {
      phase = "accounts";
      report(true);
      await apply(control, usersObject, { transform: rewrite(undefined) });
    }
    check();
    const ms = Math.round(performance.now() - t0);
    ctx.log("info", `Restored ${sources.map((s) => (renames.has(s) ? `${s} as ${renames.get(s)}` : s)).join(", ")} into ${where}: ${totals.tablesTotal} tables, ${rowsDone} rows in ${(ms / 1000).toFixed(1)} s.`);
    phase = "done";
    report(true);
    return { databases: targets, tables: totals.tablesTotal, rows: rowsDone, bytes: bytesDone, ms };
  } catch (e) {
    const err = failure ?? (e instanceof DomainError ? e : explainStepError(e, { address: target, doing: "restoring" }));
    fail(err);
    throw err;
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    if (failure) conns.destroyAll();
    else await conns.endAll();
  }
}
