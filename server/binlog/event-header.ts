import { HEADER_LENGTH } from "./event-types";

/** The common v4 header every event starts with. */
export type EventHeader = {
  /** seconds since the epoch, server clock, when the statement started */
  timestamp: number;
  type: number;
  serverId: number;
  /** whole event, header and checksum included */
  eventSize: number;
  /** position of the byte after this event in its binlog file (0 for events the dump thread makes up) */
  logPos: number;
  flags: number;
};

export function parseEventHeader(buf: Buffer, offset = 0): EventHeader {
  if (buf.length - offset < HEADER_LENGTH) throw new RangeError(`binlog event header needs ${HEADER_LENGTH} bytes, got ${buf.length - offset}`);
  return {
    timestamp: buf.readUInt32LE(offset),
    type: buf[offset + 4]!,
    serverId: buf.readUInt32LE(offset + 5),
    eventSize: buf.readUInt32LE(offset + 9),
    logPos: buf.readUInt32LE(offset + 13),
    flags: buf.readUInt16LE(offset + 17),
  };
}

/** Writes a header (for tests that build events by hand). */
export function writeEventHeader(h: EventHeader): Buffer {
  const b = Buffer.alloc(HEADER_LENGTH);
  b.writeUInt32LE(h.timestamp, 0);
  b[4] = h.type;
  b.writeUInt32LE(h.serverId, 5);
  b.writeUInt32LE(h.eventSize, 9);
  b.writeUInt32LE(h.logPos, 13);
  b.writeUInt16LE(h.flags, 17);
  return b;
}
