import type mysql from "mysql2/promise";
import type { ManifestDatabase } from "../../artifact/manifest";
import { queryRows as mysqlRows } from "../../mysql/connect";

/** Anything that runs a query and returns its rows (a mysql2 connection wrapped, a clone session). */
export type RowSource = { rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> };

/** Schemas a physical backup always carries but that are not "the user's databases". */
export const SYSTEM_SCHEMAS = ["mysql", "sys", "information_schema", "performance_schema"];

/**
 * What a physical backup holds, for the manifest: every user database with its tables, views,
 * routines, triggers and events. Row counts are InnoDB's estimates (information_schema) — a
 * physical copy has no exact counts without reading every table; the manifest says so in
 * details.rowCounts = "estimated". Run it while DDL is blocked so the list matches the copy.
 */
export async function physicalInventory(conn: mysql.Connection | RowSource): Promise<ManifestDatabase[]> {
  const c: RowSource = "rows" in conn ? conn : { rows: (sql, params) => mysqlRows(conn, sql, params) };
  const skip = SYSTEM_SCHEMAS.map((s) => `'${s}'`).join(",");
  const schemas = await c.rows<{ n: string; cs: string; co: string }>(
    `SELECT SCHEMA_NAME AS n, DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (${skip}) ORDER BY SCHEMA_NAME`,
  );
  const tables = await c.rows<{ s: string; t: string; ty: string; e: string | null; r: string | number | null; b: string | number | null }>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, TABLE_TYPE AS ty, ENGINE AS e, TABLE_ROWS AS r, COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) AS b
       FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN (${skip}) ORDER BY TABLE_SCHEMA, TABLE_NAME`,
  );
  const routines = await c.rows<{ s: string; n: string; ty: string }>(`SELECT ROUTINE_SCHEMA AS s, ROUTINE_NAME AS n, ROUTINE_TYPE AS ty FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA NOT IN (${skip}) ORDER BY 1, 2`);
  const triggers = await c.rows<{ s: string; n: string }>(`SELECT TRIGGER_SCHEMA AS s, TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA NOT IN (${skip}) ORDER BY 1, 2`);
  const events = await c.rows<{ s: string; n: string }>(`SELECT EVENT_SCHEMA AS s, EVENT_NAME AS n FROM information_schema.EVENTS WHERE EVENT_SCHEMA NOT IN (${skip}) ORDER BY 1, 2`);
  return schemas.map((d) => ({
    name: d.n,
    charset: d.cs,
    collation: d.co,
    tables: tables
      .filter((t) => t.s === d.n && t.ty !== "VIEW" && t.ty !== "SYSTEM VIEW")
      .map((t) => ({
        name: t.t,
        kind: t.ty === "SEQUENCE" ? ("sequence" as const) : ("table" as const),
        engine: t.e,
        rows: Math.max(0, Number(t.r ?? 0)),
        rawBytes: Math.max(0, Number(t.b ?? 0)),
        fingerprint: null,
        columns: [],
        key: [],
      })),
    views: tables.filter((t) => t.s === d.n && t.ty === "VIEW").map((t) => t.t),
    routines: routines.filter((r) => r.s === d.n).map((r) => ({ name: r.n, type: r.ty })),
    triggers: triggers.filter((r) => r.s === d.n).map((r) => r.n),
    events: events.filter((r) => r.s === d.n).map((r) => r.n),
  }));
}
