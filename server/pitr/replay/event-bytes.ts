import zlib from "node:zlib";
import { DomainError } from "../../errors";
import { eventCrc32 } from "../../binlog/checksum";
import { CHECKSUM_LENGTH, EventFlag, FLAGS_OFFSET, HEADER_LENGTH } from "../../binlog/event-types";
import type { ChecksumAlg } from "../../binlog/checksum";

// Byte-level edits of binlog events for replay. Offsets follow the v4 event layout: a 19-byte
// header, the post-header (its length comes from the file's FORMAT_DESCRIPTION), the body, and a
// CRC32 when the file is checksummed. An edited event gets its size field and CRC32 fixed, because
// the server verifies both when it runs a BINLOG statement.

const SIZE_OFFSET = 9;
const RowsStmtEnd = 0x0001;

function bodyEnd(raw: Buffer, checksum: ChecksumAlg): number {
  return raw.length - (checksum === "crc32" ? CHECKSUM_LENGTH : 0);
}

/** Recomputes size and CRC32 of an event built from parts (the parts exclude any old CRC). */
function seal(parts: Buffer[], checksum: ChecksumAlg): Buffer {
  const len = parts.reduce((n, p) => n + p.length, 0) + (checksum === "crc32" ? CHECKSUM_LENGTH : 0);
  const out = Buffer.allocUnsafe(len);
  let at = 0;
  for (const p of parts) at += p.copy(out, at);
  out.writeUInt32LE(len, SIZE_OFFSET);
  if (checksum === "crc32") out.writeUInt32LE(eventCrc32(out.subarray(0, at)), at);
  return out;
}

/** The default database and statement text of a QUERY event, as the bytes the server logged. */
export function queryParts(raw: Buffer, postHeaderLen: number, checksum: ChecksumAlg, compressed = false): { db: Buffer; sql: Buffer } {
  const p = HEADER_LENGTH;
  const dbLen = raw[p + 8]!;
  const statusLen = postHeaderLen >= 13 ? raw.readUInt16LE(p + 11) : 0;
  const dbStart = p + postHeaderLen + statusLen;
  const sqlStart = dbStart + dbLen + 1;
  const end = bodyEnd(raw, checksum);
  if (sqlStart > end) throw new RangeError(`QUERY event too short (${raw.length} bytes) for its database name and status variables`);
  const text = raw.subarray(sqlStart, end);
  return { db: raw.subarray(dbStart, dbStart + dbLen), sql: compressed ? uncompressQueryText(text) : text };
}

/** MariaDB log_bin_compress: a header byte (0x80 | bytes of length), the length big-endian, then zlib. */
export function uncompressQueryText(buf: Buffer): Buffer {
  if (buf.length < 2 || (buf[0]! & 0x80) === 0) throw new RangeError("compressed QUERY event without its compression header");
  const lenlen = buf[0]! & 0x07;
  const alg = (buf[0]! & 0x70) >> 4;
  if (alg !== 0) throw new RangeError(`compressed QUERY event uses unknown algorithm ${alg}`);
  let len = 0;
  for (let i = 1; i <= lenlen; i++) len = len * 256 + buf[i]!;
  const out = zlib.inflateSync(buf.subarray(1 + lenlen));
  if (out.length !== len) throw new RangeError(`compressed QUERY event inflates to ${out.length} bytes, header says ${len}`);
  return out;
}

/** MariaDB compressed rows event types and the plain types they stand for. */
const UNCOMPRESSED_TYPE: Record<number, number> = {
  166: 23, // WRITE_ROWS_COMPRESSED_V1 -> WRITE_ROWS_V1
  167: 24,
  168: 25,
  169: 30, // WRITE_ROWS_COMPRESSED -> WRITE_ROWS_V2
  170: 31,
  171: 32,
};
const UPDATE_TYPES = new Set([167, 170]);

/**
 * A MariaDB compressed rows event (log_bin_compress) as the plain rows event it stands for: the
 * server refuses compressed events in BINLOG statements. Only the row images after the column
 * count and bitmaps are compressed; they are inflated and the type, size and CRC32 fixed.
 */
export function uncompressRowsEvent(raw: Buffer, postHeaderLen: number, checksum: ChecksumAlg): Buffer {
  const type = raw[4]!;
  const plain = UNCOMPRESSED_TYPE[type];
  if (plain === undefined) return raw;
  let at = HEADER_LENGTH + postHeaderLen;
  if (type >= 169) at += raw.readUInt16LE(HEADER_LENGTH + idWidth(postHeaderLen) + 2) - 2; // v2 extra data (its length field counts itself)
  const first = raw[at]!;
  let width: number;
  if (first < 0xfb) {
    width = first;
    at += 1;
  } else if (first === 0xfc) {
    width = raw.readUInt16LE(at + 1);
    at += 3;
  } else if (first === 0xfd) {
    width = raw.readUIntLE(at + 1, 3);
    at += 4;
  } else throw new RangeError(`compressed rows event with a column count this reader does not expect (0x${first.toString(16)})`);
  at += Math.ceil(width / 8) * (UPDATE_TYPES.has(type) ? 2 : 1);
  const rows = uncompressQueryText(raw.subarray(at, bodyEnd(raw, checksum)));
  const head = Buffer.from(raw.subarray(0, at));
  head[4] = plain;
  return seal([head, rows], checksum);
}

/** Table-id width in TABLE_MAP and rows events: 6 bytes, or 4 for post-headers of 6 (very old servers). */
const idWidth = (postHeaderLen: number) => (postHeaderLen === 6 ? 4 : 6);

/**
 * A TABLE_MAP event naming another database (restoring under a new name). Only the database name
 * changes; the table id, column types and metadata are kept, so the rows events that follow apply
 * to the renamed table.
 */
export function renameTableMap(raw: Buffer, newDb: string, postHeaderLen: number, checksum: ChecksumAlg): Buffer {
  const dbLenAt = HEADER_LENGTH + idWidth(postHeaderLen) + 2;
  const oldLen = raw[dbLenAt]!;
  const name = Buffer.from(newDb, "utf8");
  if (name.length > 255) throw new DomainError("INVALID", `Database name ${newDb} is too long for a binlog table map (${name.length} bytes).`, { field: "rename" });
  const end = bodyEnd(raw, checksum);
  return seal([raw.subarray(0, dbLenAt), Buffer.from([name.length]), name, raw.subarray(dbLenAt + 1 + oldLen, end)], checksum);
}

/**
 * A rows event marked as the last of its statement. Used when a database filter drops the event
 * that carried the flag, so the server releases the statement's tables after the kept ones.
 */
export function withStmtEnd(raw: Buffer, postHeaderLen: number, checksum: ChecksumAlg): Buffer {
  const at = HEADER_LENGTH + idWidth(postHeaderLen);
  const flags = raw.readUInt16LE(at);
  if (flags & RowsStmtEnd) return raw;
  const out = Buffer.from(raw);
  out.writeUInt16LE(flags | RowsStmtEnd, at);
  if (checksum === "crc32") out.writeUInt32LE(eventCrc32(out.subarray(0, out.length - CHECKSUM_LENGTH)), out.length - CHECKSUM_LENGTH);
  return out;
}

/**
 * The FORMAT_DESCRIPTION as a BINLOG statement wants it: "file in use" cleared (the archive keeps
 * the flag of a file the server still writes; the CRC was computed without it, see eventCrc32).
 */
export function fdeForReplay(raw: Buffer): Buffer {
  if (!(raw[FLAGS_OFFSET]! & EventFlag.BINLOG_IN_USE)) return raw;
  const out = Buffer.from(raw);
  out[FLAGS_OFFSET] = out[FLAGS_OFFSET]! & ~EventFlag.BINLOG_IN_USE;
  return out;
}
