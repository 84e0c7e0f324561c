import type mysql from "mysql2/promise";
import { coreOf, replaceRowParser, type WirePacket } from "../../mysql/mysql2-internals";
import type { InsertWriter, Row } from "./insert-writer";

/** What the fast row parser hands to the "result" listener instead of a row. */
const ENCODED = Symbol("row encoded in place");

/**
 * Streams a query's rows into an InsertWriter; resolves with the row count. When the writer asks
 * for a pause (its sink is full) the socket is paused until `drained()` resolves, so a slow sink
 * slows the server down instead of filling memory.
 *
 * Fast path: mysql2 builds a row object per packet (a buffer per value, an array per row) through
 * the query's `_rowParser`. For our queries that parser is replaced by one that encodes the packet
 * straight into the writer. mysql2 assigns `_rowParser` once the columns are known; an accessor on
 * this query object keeps ours. Should a mysql2 version not go through `_rowParser`, rows arrive
 * as ordinary arrays (typeCast off, rowsAsArray) and take the slower path, with the same output.
 */
export function streamRows(conn: mysql.Connection, sql: string, writer: InsertWriter, drained: () => Promise<void>): Promise<number> {
  const core = coreOf(conn);
  return new Promise((resolve, reject) => {
    let rows = 0;
    let settled = false;
    let paused = false;
    // mysql2 tells a query without a callback nothing when the socket closes under it (it only
    // emits "error" on the connection, and not always): watch the socket ourselves
    const onClose = () => finish(Object.assign(new Error("Connection lost: the server closed the connection."), { code: "PROTOCOL_CONNECTION_LOST", fatal: true }));
    const onConnError = (e: unknown) => finish(e);
    const finish = (e?: unknown) => {
      if (settled) return;
      settled = true;
      core.stream?.off("close", onClose);
      core.off("error", onConnError);
      if (e) reject(e);
      else resolve(rows);
    };
    if (core.stream?.destroyed) return onClose();
    core.stream?.on("close", onClose);
    core.on("error", onConnError);
    let ok = true;
    let failed: unknown = null;
    const parser = {
      next(packet: WirePacket) {
        try {
          if (!failed) ok = writer.addPacket(packet.buffer, packet.offset);
        } catch (e) {
          failed = e;
        }
        return ENCODED;
      },
    };
    const q = core.query({ sql, rowsAsArray: true, typeCast: false });
    replaceRowParser(q, parser);
    q.on("result", (row: Row | typeof ENCODED) => {
      if (settled) return;
      rows++;
      try {
        if (failed) throw failed;
        if (row !== ENCODED) ok = writer.add(row);
      } catch (e) {
        finish(e);
        // nothing more can be written for this chunk; the caller tears the connection down
        return;
      }
      if (!ok && !paused) {
        paused = true;
        core.pause();
        drained().then(
          () => {
            paused = false;
            if (!settled) core.resume();
          },
          (e) => finish(e),
        );
      }
    });
    q.on("error", (e: unknown) => finish(e));
    q.on("end", () => finish());
  });
}
