import type mysql from "mysql2/promise";

export type BinlogCoordinates = { file: string; position: number };

/** The server's current binlog file and position (SHOW MASTER STATUS; MySQL 8.2+ spells it SHOW BINARY LOG STATUS). */
export async function currentBinlogPosition(c: mysql.Connection): Promise<BinlogCoordinates | null> {
  let lastError: unknown;
  for (const sql of ["SHOW MASTER STATUS", "SHOW BINARY LOG STATUS"]) {
    try {
      const [rows] = await c.query(sql);
      const r = (rows as Record<string, unknown>[])[0];
      if (!r) return null;
      return { file: String(r.File), position: Number(r.Position) };
    } catch (e) {
      lastError = e;
      if ((e as { errno?: number }).errno !== 1064) throw e;
    }
  }
  throw lastError;
}

/** Binlog files the server still has, oldest first, with sizes. */
export async function binlogFiles(c: mysql.Connection): Promise<{ file: string; size: number }[]> {
  const [rows] = await c.query("SHOW BINARY LOGS");
  return (rows as Record<string, unknown>[]).map((r) => ({ file: String(r.Log_name), size: Number(r.File_size) }));
}
