import type { ByteReader } from "./byte-reader";
import { EventType, RowsFlag } from "./event-types";

export type TableMapDetails = {
  tableId: number;
  flags: number;
  database: string;
  table: string;
  columnCount: number;
  /** MySQL column type codes, one per column */
  columnTypes: number[];
};

export type RowsKind = "write" | "update" | "delete";

export type RowsDetails = {
  operation: RowsKind;
  /** 1 (MariaDB, MySQL 5.1-5.5 style) or 2 (MySQL 5.6+) */
  version: 1 | 2;
  /** MariaDB log_bin_compress: the row images are zlib-compressed */
  compressed: boolean;
  tableId: number;
  flags: number;
  /** last rows event of its statement: the table maps can be forgotten after it */
  stmtEnd: boolean;
  columnCount: number | null;
};

function tableId(r: ByteReader, postHeaderLen: number): number {
  return postHeaderLen === 6 ? r.u32() : r.u48();
}

export function decodeTableMap(r: ByteReader, postHeaderLen: number): TableMapDetails {
  const id = tableId(r, postHeaderLen);
  const flags = r.u16();
  const database = r.str(r.u8());
  r.skip(1);
  const table = r.str(r.u8());
  r.skip(1);
  const columnCount = r.lenenc();
  const columnTypes = [...r.bytes(columnCount)];
  return { tableId: id, flags, database, table, columnCount, columnTypes };
}

const KIND: Record<number, [RowsKind, 1 | 2, boolean]> = {
  [EventType.WRITE_ROWS_V1]: ["write", 1, false],
  [EventType.UPDATE_ROWS_V1]: ["update", 1, false],
  [EventType.DELETE_ROWS_V1]: ["delete", 1, false],
  [EventType.WRITE_ROWS_V2]: ["write", 2, false],
  [EventType.UPDATE_ROWS_V2]: ["update", 2, false],
  [EventType.DELETE_ROWS_V2]: ["delete", 2, false],
  [EventType.PARTIAL_UPDATE_ROWS]: ["update", 2, false],
  [EventType.WRITE_ROWS_COMPRESSED_V1]: ["write", 1, true],
  [EventType.UPDATE_ROWS_COMPRESSED_V1]: ["update", 1, true],
  [EventType.DELETE_ROWS_COMPRESSED_V1]: ["delete", 1, true],
  [EventType.WRITE_ROWS_COMPRESSED]: ["write", 2, true],
  [EventType.UPDATE_ROWS_COMPRESSED]: ["update", 2, true],
  [EventType.DELETE_ROWS_COMPRESSED]: ["delete", 2, true],
};

export function decodeRows(type: number, r: ByteReader, postHeaderLen: number): RowsDetails {
  const [operation, version, compressed] = KIND[type] ?? ["write", 1, false];
  const id = tableId(r, postHeaderLen);
  const flags = r.u16();
  if (version === 2 && postHeaderLen >= 10) {
    const extraLen = r.u16(); // counts its own two bytes
    r.skip(Math.max(0, extraLen - 2));
  }
  const columnCount = compressed ? null : r.lenenc();
  return { operation, version, compressed, tableId: id, flags, stmtEnd: (flags & RowsFlag.STMT_END) !== 0, columnCount };
}
