import { eventCrc32 } from "../binlog/checksum";
import { CHECKSUM_LENGTH, EventType, HEADER_LENGTH, RowsFlag } from "../binlog/event-types";
import type { RowsLayout } from "./row-images";

// The inverse of a rows event, as `mariadb-binlog --flashback` builds it: a WRITE becomes a DELETE
// of the same rows and back, an UPDATE swaps its before and after images, and the rows come in
// reverse order. Applied through a BINLOG statement, the server undoes exactly those rows.

const INVERSE: Record<number, number> = {
  [EventType.WRITE_ROWS_V1]: EventType.DELETE_ROWS_V1,
  [EventType.DELETE_ROWS_V1]: EventType.WRITE_ROWS_V1,
  [EventType.UPDATE_ROWS_V1]: EventType.UPDATE_ROWS_V1,
  [EventType.WRITE_ROWS_V2]: EventType.DELETE_ROWS_V2,
  [EventType.DELETE_ROWS_V2]: EventType.WRITE_ROWS_V2,
  [EventType.UPDATE_ROWS_V2]: EventType.UPDATE_ROWS_V2,
};

export function invertible(type: number): boolean {
  return type in INVERSE;
}

const SIZE_OFFSET = 9;

/** The inverse event (flagged as its statement's end, so each one can be sent with its table map). */
export function invertRowsEvent(raw: Buffer, layout: RowsLayout, crc: boolean, postHeaderLen: number): Buffer {
  const type = raw[4]!;
  const inv = INVERSE[type];
  if (inv === undefined) throw new RangeError(`event type ${type} cannot be inverted`);
  const update = type === EventType.UPDATE_ROWS_V1 || type === EventType.UPDATE_ROWS_V2;
  const headEnd = layout.rows.length ? layout.rows[0]!.start : raw.length - (crc ? CHECKSUM_LENGTH : 0);
  const head = Buffer.from(raw.subarray(0, headEnd));
  head[4] = inv;
  const flagsAt = HEADER_LENGTH + (postHeaderLen === 6 ? 4 : 6);
  head.writeUInt16LE(head.readUInt16LE(flagsAt) | RowsFlag.STMT_END, flagsAt);
  if (update) {
    // the two columns-present bitmaps trade places with the images
    const b = Buffer.from(raw.subarray(layout.bitmapsAt, layout.bitmapsAt + layout.bitmapLen));
    raw.copy(head, layout.bitmapsAt, layout.bitmapsAt + layout.bitmapLen, layout.bitmapsAt + 2 * layout.bitmapLen);
    b.copy(head, layout.bitmapsAt + layout.bitmapLen);
  }
  const parts: Buffer[] = [head];
  for (let i = layout.rows.length - 1; i >= 0; i--) {
    const r = layout.rows[i]!;
    if (update) parts.push(raw.subarray(r.mid, r.end), raw.subarray(r.start, r.mid));
    else parts.push(raw.subarray(r.start, r.end));
  }
  const bodyLen = parts.reduce((n, p) => n + p.length, 0);
  const out = Buffer.allocUnsafe(bodyLen + (crc ? CHECKSUM_LENGTH : 0));
  let at = 0;
  for (const p of parts) at += p.copy(out, at);
  out.writeUInt32LE(out.length, SIZE_OFFSET);
  if (crc) out.writeUInt32LE(eventCrc32(out.subarray(0, at)), at);
  return out;
}
