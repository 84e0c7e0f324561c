import { ByteReader } from "./byte-reader";
import type { ChecksumAlg } from "./checksum";
import { decodeFormatDescription, postHeaderLength, type FormatDescription } from "./decode-format-description";
import { decodeAnnotateRows, decodeBinlogCheckpoint, decodeGtidList, decodeMariaGtid, type GtidListDetails, type MariaGtidDetails } from "./decode-mariadb";
import { decodeMysqlGtid, decodePreviousGtids, type MysqlGtidDetails } from "./decode-mysql-gtid";
import { decodeQuery, type QueryDetails } from "./decode-query";
import { decodeRows, decodeTableMap, type RowsDetails, type TableMapDetails } from "./decode-rows";
import type { EventHeader } from "./event-header";
import { CHECKSUM_LENGTH, EventType, HEADER_LENGTH, ROWS_EVENT_TYPES } from "./event-types";
import type { MysqlGtidSet } from "./gtid-mysql";

export type EventDetails =
  | ({ kind: "format_description" } & FormatDescription)
  | { kind: "rotate"; position: number; nextFile: string }
  | ({ kind: "query" } & QueryDetails)
  | ({ kind: "table_map" } & TableMapDetails)
  | ({ kind: "rows" } & RowsDetails)
  | { kind: "xid"; xid: bigint }
  | ({ kind: "mariadb_gtid" } & MariaGtidDetails)
  | ({ kind: "gtid_list" } & GtidListDetails)
  | { kind: "binlog_checkpoint"; file: string }
  | { kind: "annotate_rows"; sql: string }
  | ({ kind: "mysql_gtid" } & MysqlGtidDetails)
  | { kind: "previous_gtids"; gtidSet: MysqlGtidSet; text: string }
  | { kind: "heartbeat"; file: string; position: number }
  | { kind: "stop" };

/** What decoding an event needs from its file: the FDE's post-header lengths and checksum algorithm. */
export type DecodeContext = { fde: FormatDescription | null; checksum: ChecksumAlg };

/**
 * Decodes the parts of an event that archiving, planning and replay use. Types not listed in
 * EventDetails return undefined (their raw bytes are still there). Throws RangeError on a malformed body.
 */
export function decodeEventDetails(raw: Buffer, h: EventHeader, ctx: DecodeContext): EventDetails | undefined {
  if (h.type === EventType.FORMAT_DESCRIPTION) return { kind: "format_description", ...decodeFormatDescription(raw) };
  const end = raw.length - (ctx.checksum === "crc32" ? CHECKSUM_LENGTH : 0);
  const r = new ByteReader(raw, HEADER_LENGTH, end);
  const ph = (fallback: number) => postHeaderLength(ctx.fde, h.type, fallback);
  switch (h.type) {
    case EventType.ROTATE: {
      const position = Number(r.u64());
      return { kind: "rotate", position, nextFile: r.rest().toString("utf8") };
    }
    case EventType.QUERY:
      return { kind: "query", ...decodeQuery(r, ph(13)) };
    case EventType.TABLE_MAP:
      return { kind: "table_map", ...decodeTableMap(r, ph(8)) };
    case EventType.XID:
      return { kind: "xid", xid: r.u64() };
    case EventType.MARIADB_GTID:
      return { kind: "mariadb_gtid", ...decodeMariaGtid(r, h.serverId) };
    case EventType.GTID_LIST:
      return { kind: "gtid_list", ...decodeGtidList(r) };
    case EventType.BINLOG_CHECKPOINT:
      return { kind: "binlog_checkpoint", ...decodeBinlogCheckpoint(r) };
    case EventType.ANNOTATE_ROWS:
      return { kind: "annotate_rows", ...decodeAnnotateRows(r) };
    case EventType.MYSQL_GTID:
    case EventType.MYSQL_ANONYMOUS_GTID:
      return { kind: "mysql_gtid", ...decodeMysqlGtid(r, h.type === EventType.MYSQL_ANONYMOUS_GTID) };
    case EventType.MYSQL_PREVIOUS_GTIDS:
      return { kind: "previous_gtids", ...decodePreviousGtids(r) };
    case EventType.HEARTBEAT:
      return { kind: "heartbeat", file: r.rest().toString("utf8"), position: h.logPos };
    case EventType.STOP:
      return { kind: "stop" };
  }
  if (ROWS_EVENT_TYPES.has(h.type)) return { kind: "rows", ...decodeRows(h.type, r, ph(h.type >= EventType.WRITE_ROWS_V2 && h.type <= EventType.DELETE_ROWS_V2 ? 10 : 8)) };
  return undefined;
}
