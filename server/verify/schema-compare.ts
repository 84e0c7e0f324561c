import type mysql from "mysql2/promise";
import type { ManifestDatabase } from "../artifact/manifest";

async function names(c: mysql.Connection, sql: string, params: unknown[]): Promise<string[]> {
  const [rows] = await c.query({ sql, rowsAsArray: true }, params);
  return (rows as unknown as unknown[][]).map((r) => String(r[0]));
}

/** Differences between the objects a manifest lists for a database and what a server has, in words. */
export async function compareSchemaObjects(c: mysql.Connection, m: ManifestDatabase, actualDb: string): Promise<string[]> {
  const problems: string[] = [];
  const diff = (kind: string, want: string[], have: string[]) => {
    const missing = want.filter((w) => !have.includes(w));
    const extra = have.filter((h) => !want.includes(h));
    if (missing.length) problems.push(`${actualDb}: ${kind} missing: ${missing.join(", ")}`);
    if (extra.length) problems.push(`${actualDb}: unexpected ${kind}: ${extra.join(", ")}`);
  };
  diff("tables", m.tables.map((t) => t.name).sort(), (await names(c, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE','SEQUENCE','SYSTEM VERSIONED') ORDER BY 1", [actualDb])).sort());
  diff("views", [...m.views].sort(), (await names(c, "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1", [actualDb])).sort());
  diff("routines", m.routines.map((r) => r.name).sort(), (await names(c, "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1", [actualDb])).sort());
  diff("triggers", [...m.triggers].sort(), (await names(c, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1", [actualDb])).sort());
  diff("events", [...m.events].sort(), (await names(c, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1", [actualDb])).sort());
  return problems;
}
