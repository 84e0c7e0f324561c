import { EventEmitter } from "node:events";
import type mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coreOf, OutgoingPacket, promiseOf, replaceRowParser, socketOf, type CoreConnection, type WirePacket } from "../../server/mysql/mysql2-internals";
import { useMariaDB } from "../helpers/mariadb";

// The binlog archiver, the PITR replay and the dump use mysql2 internals that are not its public
// API (server/mysql/mysql2-internals.ts). These tests use each member against a real server, so a
// mysql2 upgrade that moves one of them fails here, by name.

/** A minimal command: sends one packet and collects the reply packets until OK/ERR/EOF. */
class OnePacketCommand extends EventEmitter {
  private started = false;
  readonly replies: { first: number; isError: boolean; isEOF: boolean; error?: Error; length: number }[] = [];
  constructor(
    private readonly payload: Buffer,
    private readonly done: (err: Error | null) => void,
  ) {
    super();
  }
  onResult = (err: Error | null) => {
    if (err) this.done(err);
  };
  execute(packet: WirePacket | null, connection: CoreConnection): boolean {
    if (!this.started) {
      this.started = true;
      connection._resetSequenceId();
      connection.writePacket(new OutgoingPacket(this.payload));
      return false;
    }
    if (!packet) return false;
    const reply = { first: packet.peekByte(), isError: packet.isError(), isEOF: packet.isEOF(), length: packet.end - packet.offset, error: undefined as Error | undefined };
    if (reply.isError) reply.error = packet.asError(connection.clientEncoding);
    this.replies.push(reply);
    this.done(null);
    this.emit("end");
    return true;
  }
}

function run(core: CoreConnection, payload: Buffer): Promise<OnePacketCommand> {
  return new Promise((resolve, reject) => {
    const cmd: OnePacketCommand = new OnePacketCommand(payload, (err) => (err ? reject(err) : resolve(cmd)));
    core.addCommand(cmd);
  });
}

describe("mysql2 internals used by the archiver, the replay and the dump", async () => {
  const sb = await useMariaDB();
  let conn: mysql.Connection;
  beforeAll(async () => {
    conn = await sb.connect();
  });
  afterAll(async () => {
    await conn.end().catch(() => undefined);
  });

  it("exposes the core connection with addCommand, writePacket, _resetSequenceId and the socket", () => {
    const core = coreOf(conn);
    expect(typeof core.addCommand).toBe("function");
    expect(typeof core.writePacket).toBe("function");
    expect(typeof core._resetSequenceId).toBe("function");
    expect(typeof core.pause).toBe("function");
    expect(typeof core.resume).toBe("function");
    expect(typeof socketOf(conn)?.destroy).toBe("function");
  });

  it("runs a custom command: COM_PING answered by an OK packet", async () => {
    const cmd = await run(coreOf(conn), Buffer.from([0x0e]));
    expect(cmd.replies).toEqual([expect.objectContaining({ first: 0x00, isError: false })]);
    // the connection still works for ordinary queries afterwards
    const [rows] = await conn.query("SELECT 41 + 1 AS v");
    expect((rows as { v: number }[])[0]!.v).toBe(42);
  });

  it("turns an error packet into an Error with the server's message", async () => {
    const cmd = await run(coreOf(conn), Buffer.concat([Buffer.from([0x03]), Buffer.from("SELECT * FROM no_such_db.t")]));
    expect(cmd.replies[0]!.isError).toBe(true);
    expect(cmd.replies[0]!.error?.message).toMatch(/no_such_db/);
  });

  it("hands every row packet to a replaced row parser", async () => {
    const core = coreOf(conn);
    const seen: string[] = [];
    const q = core.query({ sql: "SELECT 'abc' UNION ALL SELECT 'defg'", rowsAsArray: true, typeCast: false });
    replaceRowParser(q, {
      next(p: WirePacket) {
        // a text-protocol row: one length-encoded string per column
        const len = p.buffer[p.offset]!;
        seen.push(p.buffer.subarray(p.offset + 1, p.offset + 1 + len).toString());
        return "encoded";
      },
    });
    const results: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      q.on("result", (r: unknown) => results.push(r));
      q.on("error", reject);
      q.on("end", () => resolve());
    });
    expect(seen).toEqual(["abc", "defg"]);
    expect(results).toEqual(["encoded", "encoded"]);
  });

  it("gives a promise connection for a core connection, and keeps a promise one", async () => {
    expect(promiseOf(conn)).toBe(conn);
    const p = promiseOf(coreOf(conn) as unknown as mysql.Connection);
    expect(p).not.toBe(conn);
    const [rows] = await p.query("SELECT 7 AS v");
    expect((rows as { v: number }[])[0]!.v).toBe(7);
  });

  it("refuses an object that is not a mysql2 connection with a clear error", () => {
    expect(() => coreOf({} as mysql.Connection)).toThrow(/pinned in package.json/);
  });
});
