import type mysql from "mysql2/promise";

/**
 * Queries on a binary-results connection (character_set_results = binary): values arrive as the
 * server's raw bytes. `textRows` decodes them as UTF-8 (information_schema and SHOW output is in the
 * system character set); `rawRows` keeps the bytes (definitions in their client character set).
 */
export async function rawRows(c: mysql.Connection, sql: string, params: unknown[] = []): Promise<(Buffer | null)[][]> {
  const [rows] = await c.query({ sql, rowsAsArray: true, typeCast: false } as mysql.QueryOptions, params);
  return rows as unknown as (Buffer | null)[][];
}

export async function textRows(c: mysql.Connection, sql: string, params: unknown[] = []): Promise<(string | null)[][]> {
  return (await rawRows(c, sql, params)).map((r) => r.map((v) => (v === null ? null : v.toString("utf8"))));
}

export function inList(values: string[]): { sql: string; params: string[] } {
  return { sql: values.length ? values.map(() => "?").join(",") : "NULL", params: values };
}
