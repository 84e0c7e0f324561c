import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { recordAudit, type Actor } from "../audit/record";
import { db, parseJson } from "../db/client";
import { dataDir } from "../env";
import { DomainError, invalid, notFound } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { connectServer, queryRows, type MysqlConnection } from "../mysql/connect";
import { planHostPitr } from "../pitr/catalog-segments";
import { parseTarget } from "../pitr/plan";
import { pitrRunKind, type PitrParams } from "../pitr/pitr-run";
import { dropCreatedDatabases } from "../restore/drop-created";
import type { RunKind } from "../runner/run-kinds";
import { enqueueRun } from "../runner/enqueue-run";

const ident = (n: string) => "`" + n.replace(/`/g, "``") + "`";

export const tableRestoreInput = z.object({
  hostId: z.string().min(1),
  /** one database's tables, as database.table */
  tables: z.array(z.string().trim().regex(/^[^.`]+\.[^.`]+$/, "Give each table as database.table, e.g. shop.orders.")).min(1).max(20),
  until: z.string().trim().optional(),
  untilGtid: z.string().trim().optional(),
  untilPosition: z.string().trim().optional(),
  /** the restored copy of db.t is db.t<suffix>, next to the live table */
  suffix: z.string().trim().regex(/^_[A-Za-z0-9_]{1,30}$/, "A suffix like _restored (letters, digits, underscores, starting with _).").default("_restored"),
});
export type TableRestoreParams = z.infer<typeof tableRestoreInput>;

export type TableComparison = { table: string; restoredAs: string; onlyLive: number; onlyRestored: number; changed: number; same: number; note?: string };

function repairFile(runId: string) {
  return path.join(dataDir(), "repairs", `${runId.replace(/[^A-Za-z0-9_-]/g, "")}.sql`);
}

async function primaryKey(c: MysqlConnection, dbName: string, t: string): Promise<string[]> {
  const rows = await queryRows<{ c: string }>(c, "SELECT COLUMN_NAME AS c FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION", [dbName, t]);
  return rows.map((r) => r.c);
}

async function columns(c: MysqlConnection, dbName: string, t: string): Promise<string[]> {
  return (await queryRows<{ c: string }>(c, "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", [dbName, t])).map((r) => r.c);
}

/** Streams the rows of a query (one string column) into the file, one line each. */
async function streamLines(c: MysqlConnection, sql: string, out: fs.WriteStream): Promise<number> {
  let n = 0;
  const raw = (c as unknown as { connection: { query(sql: string): { stream(o?: { highWaterMark: number }): AsyncIterable<{ l: string | Buffer }> } } }).connection;
  for await (const row of raw.query(sql).stream({ highWaterMark: 256 })) {
    // a row with a BLOB is a binary string (a Buffer): its bytes are written as they are
    const line = typeof row.l === "string" ? Buffer.from(row.l + "\n", "utf8") : Buffer.concat([row.l, Buffer.from("\n")]);
    if (!out.write(line)) await new Promise<void>((r) => out.once("drain", () => r()));
    n++;
  }
  return n;
}

/**
 * Compares the live table with its restored copy by primary key and writes the SQL that turns
 * the live table into the restored one: DELETE of rows only live, INSERT of rows only restored,
 * UPDATE of changed rows; values are quoted by the server (QUOTE), so nothing is decoded here.
 */
async function compareAndRepair(c: MysqlConnection, dbName: string, t: string, restoredAs: string, out: fs.WriteStream): Promise<TableComparison> {
  const live = `${ident(dbName)}.${ident(t)}`;
  const rest = `${ident(dbName)}.${ident(restoredAs)}`;
  const base: TableComparison = { table: `${dbName}.${t}`, restoredAs: `${dbName}.${restoredAs}`, onlyLive: 0, onlyRestored: 0, changed: 0, same: 0 };
  const pk = await primaryKey(c, dbName, t);
  if (!pk.length) return { ...base, note: "the table has no primary key: rows cannot be matched, so no comparison or repair SQL (compare by hand)" };
  const lc = await columns(c, dbName, t);
  const rc = await columns(c, dbName, restoredAs);
  const cols = lc.filter((x) => rc.includes(x));
  const note = lc.length !== rc.length || cols.length !== lc.length ? `the live and restored tables have different columns (live: ${lc.join(", ")}; restored: ${rc.join(", ")}): compared on the common ones` : undefined;
  if (!pk.every((k) => cols.includes(k))) return { ...base, note: "the primary key differs between the live and restored tables: no comparison" };
  const on = pk.map((k) => `l.${ident(k)} <=> r.${ident(k)}`).join(" AND ");
  const differs = `NOT (${cols.map((k) => `l.${ident(k)} <=> r.${ident(k)}`).join(" AND ")})`;
  const count = async (sql: string) => Number((await queryRows<{ n: number }>(c, sql))[0]?.n ?? 0);
  const onlyLive = await count(`SELECT COUNT(*) AS n FROM ${live} l LEFT JOIN ${rest} r ON ${on} WHERE r.${ident(pk[0]!)} IS NULL`);
  const onlyRestored = await count(`SELECT COUNT(*) AS n FROM ${rest} r LEFT JOIN ${live} l ON ${on} WHERE l.${ident(pk[0]!)} IS NULL`);
  const changed = await count(`SELECT COUNT(*) AS n FROM ${live} l JOIN ${rest} r ON ${on} WHERE ${differs}`);
  const total = await count(`SELECT COUNT(*) AS n FROM ${live}`);
  const q = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const where = (alias: string) => pk.map((k) => `${q(`${ident(k)} = `)}, QUOTE(${alias}.${ident(k)})`).join(`, ' AND ', `);
  out.write(`-- ${dbName}.${t}: ${onlyLive} row(s) only in the live table (deleted), ${onlyRestored} only in ${restoredAs} (inserted), ${changed} changed (updated)\n`);
  await streamLines(c, `SELECT CONCAT('DELETE FROM ${live.replace(/'/g, "''")} WHERE ', ${where("l")}, ';') AS l FROM ${live} l LEFT JOIN ${rest} r ON ${on} WHERE r.${ident(pk[0]!)} IS NULL`, out);
  await streamLines(c, `SELECT CONCAT('INSERT INTO ${live.replace(/'/g, "''")} (${cols.map(ident).join(", ").replace(/'/g, "''")}) VALUES (', CONCAT_WS(', ', ${cols.map((k) => `QUOTE(r.${ident(k)})`).join(", ")}), ');') AS l FROM ${rest} r LEFT JOIN ${live} l ON ${on} WHERE l.${ident(pk[0]!)} IS NULL`, out);
  const set = cols.filter((k) => !pk.includes(k)).map((k) => `${q(`${ident(k)} = `)}, QUOTE(r.${ident(k)})`).join(`, ', ', `);
  if (set) await streamLines(c, `SELECT CONCAT('UPDATE ${live.replace(/'/g, "''")} SET ', ${set}, ' WHERE ', ${where("l")}, ';') AS l FROM ${live} l JOIN ${rest} r ON ${on} WHERE ${differs}`, out);
  return { ...base, onlyLive, onlyRestored, changed, same: total - onlyLive - changed, ...(note ? { note } : {}) };
}

/**
 * The "table-restore" run: some tables of one database restored to a point next to the live ones
 * (db.t -> db.t_restored). The database is restored from the base backup into a scratch database
 * and the archived binlogs replayed into it (the point-in-time restore run, under a new name), then
 * the chosen tables are moved next to the live ones and the scratch database dropped. Each is
 * compared with the live table and the repair SQL written (incidents.repairSql downloads it).
 */
export const tableRestoreRunKind: RunKind<TableRestoreParams> = {
  kind: "table-restore",
  async execute(ctx) {
    const p = ctx.params;
    const host = await db().host.findUnique({ where: { id: p.hostId } });
    if (!host) throw new DomainError("NOT_FOUND", "The host of this table restore was deleted.");
    const dbName = p.tables[0]!.split(".")[0]!;
    const names = p.tables.map((t) => t.split(".")[1]!);
    const scratch = `${dbName}_tlr_${ctx.run.id.slice(-8)}`.slice(0, 64);
    const address = hostAddress(host);
    const c0 = await connectServer(address);
    try {
      for (const n of names) {
        const [e] = await queryRows<{ n: number }>(c0, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", [dbName, `${n}${p.suffix}`]);
        if (Number(e?.n)) throw new DomainError("PRECONDITION", `${dbName}.${n}${p.suffix} already exists on ${host.name}: drop it or choose another suffix. Nothing was restored.`, { field: "suffix" });
      }
    } finally {
      await c0.end().catch(() => undefined);
    }
    const pitr: PitrParams = { hostId: host.id, targetHostId: host.id, until: p.until, untilGtid: p.untilGtid, untilPosition: p.untilPosition, rename: { [dbName]: scratch }, databases: [dbName], dropExisting: false, parallel: 2, writeBinlog: false };
    ctx.log("info", `Restoring ${dbName} into the scratch database ${scratch} to the point, then moving ${names.map((n) => `${n} -> ${n}${p.suffix}`).join(", ")} next to the live tables.`);
    const restored = await pitrRunKind.execute({ ...ctx, params: pitr } as never);
    ctx.progress({ phase: "moving the restored tables" });
    const c = await connectServer(address);
    const file = repairFile(ctx.run.id);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const out = fs.createWriteStream(file);
    let moved = false;
    try {
      const missing: string[] = [];
      for (const n of names) {
        const [e] = await queryRows<{ n: number }>(c, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", [scratch, n]);
        if (!Number(e?.n)) missing.push(n);
      }
      if (missing.length) throw new DomainError("PRECONDITION", `${missing.map((m) => `${dbName}.${m}`).join(", ")} did not exist at that point (restored ${dbName} has no such table). Nothing was kept.`);
      await c.query(`RENAME TABLE ${names.map((n) => `${ident(scratch)}.${ident(n)} TO ${ident(dbName)}.${ident(`${n}${p.suffix}`)}`).join(", ")}`);
      moved = true;
      await c.query(`DROP DATABASE ${ident(scratch)}`);
      ctx.progress({ phase: "comparing with the live tables" });
      out.write(`-- Repair SQL: makes the live table(s) equal to the restored copies (run ${ctx.run.id}, ${describe(p)}).\n-- Review it before running it. Values are quoted as the server printed them.\nSTART TRANSACTION;\n`);
      const comparisons: TableComparison[] = [];
      for (const n of names) {
        const live = await queryRows<{ n: number }>(c, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", [dbName, n]);
        if (!Number(live[0]?.n)) {
          comparisons.push({ table: `${dbName}.${n}`, restoredAs: `${dbName}.${n}${p.suffix}`, onlyLive: 0, onlyRestored: 0, changed: 0, same: 0, note: `the live table is gone: RENAME TABLE ${dbName}.${n}${p.suffix} TO ${dbName}.${n} brings it back` });
          continue;
        }
        const cmp = await compareAndRepair(c, dbName, n, `${n}${p.suffix}`, out);
        comparisons.push(cmp);
        ctx.log("info", `${cmp.table}: ${cmp.onlyLive} row(s) only live, ${cmp.onlyRestored} only restored, ${cmp.changed} changed, ${cmp.same} the same${cmp.note ? ` (${cmp.note})` : ""}.`);
      }
      out.write("COMMIT;\n");
      await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
      return { tables: comparisons, repairSqlBytes: fs.statSync(file).size, restore: restored };
    } catch (e) {
      out.destroy();
      await fsp.rm(file, { force: true });
      // nothing half-done stays: the moved copies go (the scratch database is dropped by recover)
      if (moved) for (const n of names) await c.query(`DROP TABLE IF EXISTS ${ident(dbName)}.${ident(`${n}${p.suffix}`)}`).catch(() => undefined);
      throw e;
    } finally {
      await c.end().catch(() => undefined);
    }
  },
  recover: (_run, ws) => dropCreatedDatabases(ws as { targetHostId?: string; created?: string[] }),
};

function describe(p: TableRestoreParams) {
  return p.untilPosition ? `to ${p.untilPosition}` : p.untilGtid ? `to GTID ${p.untilGtid}` : `to ${p.until}`;
}

/** Queues a table-level restore after checking that a backup connects to the point. */
export async function startTableRestore(opts: { input: z.input<typeof tableRestoreInput>; actor: Actor }) {
  const v = tableRestoreInput.parse(opts.input);
  const host = await db().host.findUnique({ where: { id: v.hostId } });
  if (!host) throw notFound("Host", v.hostId);
  const dbs = new Set(v.tables.map((t) => t.split(".")[0]));
  if (dbs.size > 1) throw invalid("tables", "Restore the tables of one database at a time.");
  const target = parseTarget(v);
  await planHostPitr(host.id, target);
  const run = await enqueueRun({ kind: "table-restore", hostId: host.id, params: v, createdById: "id" in opts.actor ? opts.actor.id : null, maxAttempts: 1 });
  await recordAudit(opts.actor, "incidents.table-restore", { type: "run", id: run.id }, { host: host.name, tables: v.tables, suffix: v.suffix, target: describe(v) });
  return run;
}

const CHUNK = 1 << 20;

/** The repair SQL of a finished table restore, a megabyte at a time (the dashboard assembles the download). */
export async function repairSqlChunk(input: { runId: string; offset: number }) {
  const run = await db().run.findUnique({ where: { id: input.runId } });
  if (!run || run.kind !== "table-restore") throw notFound("Table restore", input.runId);
  if (run.state !== "succeeded") throw new DomainError("PRECONDITION", `Table restore ${run.id} is ${run.state}: the repair SQL exists once it has succeeded.`);
  const file = repairFile(run.id);
  const size = fs.statSync(file, { throwIfNoEntry: false })?.size;
  if (size === undefined) throw new DomainError("NOT_FOUND", `The repair SQL of ${run.id} is no longer on this server (${file}).`);
  const fh = await fsp.open(file, "r");
  try {
    const buf = Buffer.alloc(Math.max(0, Math.min(CHUNK, size - input.offset)));
    await fh.read(buf, 0, buf.length, input.offset);
    return { base64: buf.toString("base64"), offset: input.offset, size, done: input.offset + buf.length >= size, tables: parseJson<{ tables?: TableComparison[] }>(run.result, {}).tables ?? [] };
  } finally {
    await fh.close();
  }
}
