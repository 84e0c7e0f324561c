import { EventEmitter } from "node:events";
import type { CoreConnection, WirePacket } from "../../mysql/mysql2-internals";

/**
 * Runs N statements in one COM_QUERY round trip (the connection has CLIENT_MULTI_STATEMENTS) and
 * counts their OK packets.
 *
 * Why not mysql2's query(): MariaDB (seen on 10.11) drops SERVER_MORE_RESULTS_EXISTS from the OK
 * packet of a BINLOG statement that applied row events, although it goes on to run the statements
 * after it. A client that trusts the flag (mysql2, and the stock mariadb client, which is why
 * mariadb-binlog output is fed one statement at a time) ends the query early and then chokes on the
 * next OK packet. This command knows how many statements it sent and reads exactly that many
 * results, so row events of many transactions travel in one round trip.
 *
 * The server stops at the first failing statement and sends its error: `completed` is then the
 * number of statements before it that succeeded, so the caller knows exactly what was applied.
 * Replayed statements never return rows; a result set is a protocol surprise and ends the
 * connection.
 */

export type MultiOutcome = { completed: number; error: (Error & { errno?: number; code?: string; sqlState?: string }) | null; protocolError?: boolean };

const COM_QUERY = 0x03;
const OK = 0x00;
const EOF = 0xfe;

class MultiStatementCommand extends EventEmitter {
  private started = false;
  private completed = 0;
  // mysql2 reads these when debugging or on errors
  readonly _commandName = "ReplayMultiStatement";
  readonly sql = "(replay batch)";

  private settled = false;

  constructor(
    private readonly payload: Buffer,
    private readonly expected: number,
    private readonly resolve: (o: MultiOutcome) => void,
  ) {
    super();
  }

  private finish(o: MultiOutcome) {
    if (this.settled) return;
    this.settled = true;
    this.resolve(o);
  }

  /** mysql2 calls this when the connection is lost while the command runs. */
  onResult = (err: Error | null) => {
    if (err) this.finish({ completed: this.completed, error: err, protocolError: true });
  };

  stateName() {
    return this.started ? "reading results" : "start";
  }

  /** Called by mysql2 with no packet to start the command, then once per packet received. */
  execute(packet: WirePacket | undefined, connection: CoreConnection): boolean {
    if (!this.started) {
      this.started = true;
      connection._resetSequenceId();
      const buffer = this.payload;
      connection.writePacket({
        buffer,
        _name: "Query",
        length: () => buffer.length - 4,
        writeHeader(seq: number) {
          buffer.writeUIntLE(buffer.length - 4, 0, 3);
          buffer[3] = seq;
        },
      });
      return false;
    }
    if (!packet) return false;
    if (packet.isError()) {
      this.finish({ completed: this.completed, error: packet.asError(connection.clientEncoding) });
      this.emit("end");
      return true;
    }
    const first = packet.peekByte();
    if (first === OK || first === EOF) {
      this.completed++;
      if (this.completed < this.expected) return false;
      this.finish({ completed: this.completed, error: null });
      this.emit("end");
      return true;
    }
    this.finish({ completed: this.completed, error: new Error(`statement ${this.completed + 1} of the batch returned a result set`), protocolError: true });
    this.emit("end");
    connection.destroy();
    return true;
  }
}

/**
 * Sends one statement that returns no rows, from a buffer holding it at offset 5: bytes 0-4 are
 * overwritten with the packet header and COM_QUERY (no copy of the statement).
 */
export function runStatementInPlace(conn: CoreConnection, buf: Buffer): Promise<MultiOutcome> {
  buf[4] = COM_QUERY;
  return new Promise((resolve) => {
    conn.addCommand(new MultiStatementCommand(buf, 1, resolve));
  });
}

/** Sends statements (raw bytes, joined so a trailing "-- comment" cannot swallow the separator). */
export function runMultiStatement(conn: CoreConnection, statements: Buffer[]): Promise<MultiOutcome> {
  const sep = Buffer.from("\n;\n");
  let len = 5;
  for (const s of statements) len += s.length + sep.length;
  const payload = Buffer.allocUnsafe(len - sep.length);
  payload[4] = COM_QUERY;
  let at = 5;
  statements.forEach((s, i) => {
    if (i > 0) at += sep.copy(payload, at);
    at += s.copy(payload, at);
  });
  return new Promise((resolve) => {
    conn.addCommand(new MultiStatementCommand(payload, statements.length, resolve));
  });
}
