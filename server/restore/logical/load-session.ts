import type mysql from "mysql2/promise";
import type { ServerAddress } from "../../mysql/connection-options";
import { LOAD_SQL_MODE } from "../../engines/logical/schema-ddl";
import type { ConnectionSet } from "../../engines/logical/session";

/**
 * A loader connection. Statements are sent as the exact bytes of the backup: the handshake uses
 * latin1, so mysql2 writes each character of the latin1-decoded statement as one byte, and the
 * server reads them under whatever SET NAMES the backup asks for (binary for data, so nothing is
 * converted). Checks that cost time and change nothing for a consistent backup are off.
 */
export async function openLoader(conns: ConnectionSet, target: ServerAddress, opts: { writeBinlog: boolean }): Promise<mysql.Connection> {
  // queryFormat: statements are sent as they are; mysql2 would otherwise scan every 1 MB INSERT for
  // "?" placeholders (the loader never uses any)
  const c = await conns.open(target, { charset: "latin1_swedish_ci", multipleStatements: false, queryFormat: (sql: string) => sql });
  const [v] = await c.query("SELECT VERSION() AS v");
  const mariadb = /mariadb/i.test(String((v as { v: string }[])[0]?.v ?? ""));
  await c.query(
    `SET SESSION sql_mode = '${LOAD_SQL_MODE}', time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0, net_read_timeout = 3600, net_write_timeout = 3600, wait_timeout = 86400`,
  );
  await c.query(mariadb ? "SET SESSION max_statement_time = 0" : "SET SESSION max_execution_time = 0");
  if (!opts.writeBinlog) await c.query("SET SESSION sql_log_bin = 0");
  await c.query("SET NAMES binary");
  return c;
}

/** Sends a statement's bytes unchanged (see openLoader). */
export function execBytes(c: mysql.Connection, sql: Buffer) {
  return c.query(sql.toString("latin1"));
}
