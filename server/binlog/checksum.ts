import zlib from "node:zlib";
import { CHECKSUM_LENGTH, EventFlag, EventType, FLAGS_OFFSET } from "./event-types";

export type ChecksumAlg = "none" | "crc32";

/** Binlog checksum algorithm byte in a FORMAT_DESCRIPTION event. */
export function checksumAlgFromByte(b: number): ChecksumAlg {
  return b === 1 ? "crc32" : "none";
}

/**
 * CRC32 of an event without its checksum. A FORMAT_DESCRIPTION is checksummed with its "file in
 * use" flag clear, because the server clears that flag in place when it closes the file and does not
 * recompute the checksum.
 */
export function eventCrc32(body: Buffer): number {
  if (body[4] === EventType.FORMAT_DESCRIPTION && body[FLAGS_OFFSET]! & EventFlag.BINLOG_IN_USE) {
    const head = Buffer.from(body.subarray(0, FLAGS_OFFSET + 1));
    head[FLAGS_OFFSET] = head[FLAGS_OFFSET]! & ~EventFlag.BINLOG_IN_USE;
    return zlib.crc32(body.subarray(FLAGS_OFFSET + 1), zlib.crc32(head)) >>> 0;
  }
  return zlib.crc32(body) >>> 0;
}

/** Compares the CRC32 the server stored in the last 4 bytes with the one computed over the rest. */
export function verifyEventChecksum(raw: Buffer): { ok: boolean; stored: number; computed: number } {
  const stored = raw.readUInt32LE(raw.length - CHECKSUM_LENGTH);
  const computed = eventCrc32(raw.subarray(0, raw.length - CHECKSUM_LENGTH));
  return { ok: stored === computed, stored, computed };
}

/** Appends a CRC32 to an event whose size field already counts it (tests build events by hand). */
export function sealEventChecksum(rawWithoutCrc: Buffer): Buffer {
  const crc = Buffer.alloc(CHECKSUM_LENGTH);
  crc.writeUInt32LE(eventCrc32(rawWithoutCrc));
  return Buffer.concat([rawWithoutCrc, crc]);
}
