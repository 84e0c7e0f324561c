import type mysql from "mysql2/promise";
import type { ServerAddress } from "../../mysql/connection-options";
import { LOAD_SQL_MODE } from "../../engines/logical/schema-ddl";
import type { ConnectionSet } from "../../engines/logical/session";
import { coreOf } from "../../mysql/mysql2-internals";
import { runMultiStatement, runStatementInPlace } from "../../pitr/replay/multi-statement";

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

/** Payloads from this size on take more than one protocol packet: those go through mysql2. */
const ONE_PACKET = 0xffffff - 1;

/**
 * Sends a data statement (an INSERT, which returns one OK packet) as one COM_QUERY whose payload is
 * the statement's bytes, copied once. execBytes costs two conversions of every byte (a latin1
 * string from the buffer, then mysql2 writing the string back into its packet) and a 1 MB string
 * per statement for the garbage collector: in a restore profile these were ~15% of the loader's CPU.
 * The bytes on the wire are the same. Errors are the server's, as query() gives them (errno, code,
 * sqlMessage), or a lost connection.
 */
export async function execInsert(c: mysql.Connection, sql: Buffer, withHeadroom: Buffer | null = null): Promise<void> {
  if (sql.length >= ONE_PACKET) {
    await execBytes(c, sql);
    return;
  }
  // a statement readFrames had to copy has the room for the packet header in front of it already
  const o = withHeadroom ? await runStatementInPlace(coreOf(c), withHeadroom) : await runMultiStatement(coreOf(c), [sql]);
  if (!o.error) return;
  if (o.protocolError && !(o.error as { code?: string }).code) Object.assign(o.error, { code: "PROTOCOL_CONNECTION_LOST", fatal: true });
  throw o.error;
}
