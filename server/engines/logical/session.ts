import type mysql from "mysql2/promise";
import { connectServer } from "../../mysql/connect";
import type { ServerAddress } from "../../mysql/connection-options";
import { socketOf } from "../../mysql/mysql2-internals";
import type { Flavor } from "../../mysql/server-facts";

/** Connections a dump or restore opened; closed all at once on failure or cancellation. */
export class ConnectionSet {
  private readonly conns = new Set<mysql.Connection>();
  async open(address: ServerAddress, extra: mysql.ConnectionOptions = {}): Promise<mysql.Connection> {
    // Without session tracking: mysql2 otherwise follows the server's character_set_client after a
    // SET NAMES and re-encodes our statements (bytes that must reach the server unchanged)
    const c = await connectServer(address, { flags: ["-SESSION_TRACK"], ...extra });
    this.conns.add(c);
    // a dropped connection must not crash the process: its pending query reports the error
    c.on("error", () => undefined);
    return c;
  }
  /**
   * Immediately closes every connection (queries in flight fail). mysql2's destroy() only ends the
   * socket (FIN); a server thread streaming rows into a paused socket would then wait in "Writing
   * to net" until net_write_timeout. Destroying the socket itself (with an error, so that mysql2
   * fails every pending command instead of leaving its promise unsettled) resets it, and the server
   * thread stops.
   */
  destroyAll() {
    for (const c of this.conns) {
      const stream = socketOf(c);
      if (stream) stream.destroy(Object.assign(new Error("Connection closed by dbbackup (the work was stopped)."), { code: "DBBACKUP_CLOSED" }));
      else c.destroy();
    }
    this.conns.clear();
  }
  /** Politely closes every connection. */
  async endAll() {
    await Promise.all([...this.conns].map((c) => c.end().catch(() => c.destroy())));
    this.conns.clear();
  }
}

/**
 * Session of every dump connection: values arrive as raw bytes (character_set_results = binary;
 * statements stay UTF-8), temporal values in UTC, no sql_mode that changes how SQL is read or SHOW
 * CREATE prints, no statement time limit, generous network timeouts (a worker may wait while
 * others drain).
 */
export function dumpSessionSql(flavor: Flavor): string[] {
  return [
    "SET NAMES utf8mb4",
    "SET SESSION character_set_results = binary",
    "SET SESSION time_zone = '+00:00', sql_mode = '', net_write_timeout = 7200, net_read_timeout = 7200, wait_timeout = 86400",
    flavor === "mariadb" ? "SET SESSION max_statement_time = 0" : "SET SESSION max_execution_time = 0",
    "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
  ];
}

export async function applySession(c: mysql.Connection, statements: string[]) {
  for (const s of statements) await c.query(s);
}
