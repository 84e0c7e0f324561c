import type { EventEmitter } from "node:events";
import type mysql from "mysql2/promise";
import { DomainError } from "../errors";

/**
 * The one place that knows mysql2's private internals. Four features need more than its public API:
 * - the binlog archiver sends replication requests (COM_REGISTER_SLAVE, COM_BINLOG_DUMP) and reads a
 *   stream of event packets: a custom *command* on the connection's command queue;
 * - the PITR replay sends N statements in one COM_QUERY and counts their OK packets (MariaDB drops
 *   SERVER_MORE_RESULTS_EXISTS after a BINLOG statement, which makes query() stop early);
 * - the dump streams rows with a packet-level row parser (`_rowParser`) instead of a row object
 *   per packet, and pauses the socket when its sink is full;
 * - cancelling a dump resets the socket itself (`.connection.stream`), so server threads stop at
 *   once instead of waiting in "Writing to net".
 * mysql2 is pinned to an exact version in package.json for that reason, and
 * test/integration/mysql2-internals.test.ts exercises every member listed here against a real
 * server: an upgrade that moves one of them fails that test by name, not a backup at 3 a.m.
 */

/** mysql2's incoming Packet (lib/packets/packet.js), the members our commands and parser read. */
export type WirePacket = {
  buffer: Buffer;
  offset: number;
  end: number;
  isError(): boolean;
  isEOF(): boolean;
  asError(encoding?: string): Error;
  peekByte(): number;
};

/** What writePacket() needs of an outgoing packet: the bytes with 4 header bytes reserved. */
export type OutgoingPacketLike = { buffer: Buffer; length(): number; writeHeader(sequenceId: number): void; _name?: string };

/** mysql2's core (callback) Connection (lib/connection.js), the members we use. */
export type CoreConnection = EventEmitter & {
  /** queues a command object: mysql2 calls `cmd.execute(packet, connection)` until it returns true */
  addCommand(cmd: unknown): unknown;
  writePacket(p: OutgoingPacketLike): void;
  _resetSequenceId(): void;
  clientEncoding?: string;
  /** the socket */
  stream?: EventEmitter & { destroyed?: boolean; destroy(e?: Error): void };
  /** query() with options returns the Query command, an emitter of "result"/"error"/"end" */
  query(opts: { sql: string; rowsAsArray: boolean; typeCast: boolean }): EventEmitter;
  pause(): void;
  resume(): void;
  destroy(): void;
};

/** An outgoing packet built from a payload (header bytes added in front). */
export class OutgoingPacket implements OutgoingPacketLike {
  readonly buffer: Buffer;
  constructor(payload: Buffer) {
    this.buffer = Buffer.concat([Buffer.alloc(4), payload]);
  }
  length() {
    return this.buffer.length;
  }
  writeHeader(sequenceId: number) {
    this.buffer.writeUIntLE(this.buffer.length - 4, 0, 3);
    this.buffer[3] = sequenceId;
  }
}

/**
 * The core connection behind a promise connection (or the connection itself when it is already a
 * core one). Throws a clear error when this mysql2 version has no such member.
 */
export function coreOf(conn: mysql.Connection | CoreConnection): CoreConnection {
  const inner = (conn as unknown as { connection?: CoreConnection }).connection;
  const core = inner ?? (conn as unknown as CoreConnection);
  if (typeof core.addCommand !== "function" || typeof core.writePacket !== "function" || typeof core._resetSequenceId !== "function")
    throw new DomainError(
      "INTERNAL",
      "This mysql2 version does not expose the connection internals dbbackup uses (connection.addCommand/writePacket/_resetSequenceId). Install the mysql2 version pinned in package.json.",
    );
  return core;
}

/** A promise connection for a connection of either kind (a core one is wrapped by its promise()). */
export function promiseOf(conn: mysql.Connection): mysql.Connection {
  const c = conn as unknown as { promise?: () => mysql.Connection; connection?: unknown };
  return typeof c.promise === "function" && !c.connection ? c.promise() : conn;
}

/** The socket of a promise connection, when mysql2 exposes it. */
export function socketOf(conn: mysql.Connection): CoreConnection["stream"] | undefined {
  return (conn as unknown as { connection?: CoreConnection }).connection?.stream;
}

/**
 * A query's rows go through `parser.next(packet)` instead of mysql2's row parser. mysql2 assigns
 * `_rowParser` once the columns are known; an accessor on the query object keeps ours.
 */
export function replaceRowParser(query: EventEmitter, parser: { next(packet: WirePacket): unknown }) {
  Object.defineProperty(query, "_rowParser", { configurable: true, get: () => parser, set: () => undefined });
}
