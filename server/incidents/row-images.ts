// Row counting for the incident index: how many rows a rows event changed. The row images are
// walked, not decoded: each column's stored size follows from its type and the table map's
// metadata, which is all that is needed to find where one row ends and the next begins.
import { ByteReader } from "../binlog/byte-reader";
import { EventType } from "../binlog/event-types";

/** A table as a TABLE_MAP event describes it: enough to walk the row images of its rows events. */
export type TableShape = {
  database: string;
  table: string;
  types: number[];
  /** per column: its metadata bytes as the table map wrote them (0, 1 or 2) */
  meta: [number, number][];
};

// MySQL column type codes (binary log)
const T = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

function metaLength(type: number): number {
  switch (type) {
    case T.FLOAT:
    case T.DOUBLE:
    case T.TINY_BLOB:
    case T.MEDIUM_BLOB:
    case T.LONG_BLOB:
    case T.BLOB:
    case T.GEOMETRY:
    case T.JSON:
    case T.TIMESTAMP2:
    case T.DATETIME2:
    case T.TIME2:
      return 1;
    case T.VARCHAR:
    case T.VAR_STRING:
    case T.BIT:
    case T.NEWDECIMAL:
    case T.STRING:
    case T.ENUM:
    case T.SET:
      return 2;
    default:
      return 0;
  }
}

/** TABLE_MAP body (after the common header, checksum excluded). */
export function parseTableMap(raw: Buffer, bodyEnd: number, headerLength: number, postHeaderLen: number): { tableId: number } & TableShape {
  const r = new ByteReader(raw, headerLength, bodyEnd);
  const tableId = postHeaderLen === 6 ? r.u32() : r.u48();
  r.skip(2);
  const database = r.str(r.u8());
  r.skip(1);
  const table = r.str(r.u8());
  r.skip(1);
  const n = r.lenenc();
  const types = [...r.bytes(n)];
  const metaLen = r.lenenc();
  const m = new ByteReader(r.bytes(metaLen));
  const meta: [number, number][] = types.map((t) => {
    const l = metaLength(t);
    if (l === 0) return [0, 0];
    if (l === 1) return [m.u8(), 0];
    return [m.u8(), m.u8()];
  });
  return { tableId, database, table, types, meta };
}

const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
function decimalSize(precision: number, scale: number): number {
  const intg = precision - scale;
  return Math.floor(intg / 9) * 4 + DIG2BYTES[intg % 9]! + Math.floor(scale / 9) * 4 + DIG2BYTES[scale % 9]!;
}

/** Bytes one non-NULL value of a column takes in a row image (reads its length prefix when it has one). */
function valueSize(buf: Buffer, at: number, type: number, [m0, m1]: [number, number]): number {
  switch (type) {
    case T.TINY:
    case T.YEAR:
      return 1;
    case T.SHORT:
      return 2;
    case T.INT24:
    case T.DATE:
    case T.NEWDATE:
    case T.TIME:
      return 3;
    case T.LONG:
    case T.TIMESTAMP:
      return 4;
    case T.FLOAT:
      return m0 || 4;
    case T.DOUBLE:
    case T.LONGLONG:
    case T.DATETIME:
      return 8;
    case T.NULL:
      return 0;
    case T.TIMESTAMP2:
      return 4 + Math.ceil(m0 / 2);
    case T.DATETIME2:
      return 5 + Math.ceil(m0 / 2);
    case T.TIME2:
      return 3 + Math.ceil(m0 / 2);
    case T.VARCHAR:
    case T.VAR_STRING: {
      const max = m0 | (m1 << 8);
      return max > 255 ? 2 + buf.readUInt16LE(at) : 1 + buf[at]!;
    }
    case T.BIT:
      return m1 + (m0 > 0 ? 1 : 0);
    case T.NEWDECIMAL:
      return decimalSize(m0, m1);
    case T.ENUM:
    case T.SET:
      return m1;
    case T.TINY_BLOB:
    case T.MEDIUM_BLOB:
    case T.LONG_BLOB:
    case T.BLOB:
    case T.GEOMETRY:
    case T.JSON:
      return m0 + buf.readUIntLE(at, m0);
    case T.STRING: {
      let real = m0;
      let max = m1;
      if ((m0 & 0x30) !== 0x30) {
        real = m0 | 0x30;
        max = m1 | (((m0 & 0x30) ^ 0x30) << 4);
      }
      if (real === T.ENUM || real === T.SET) return m1;
      return max > 255 ? 2 + buf.readUInt16LE(at) : 1 + buf[at]!;
    }
  }
  throw new RangeError(`column type ${type} cannot be walked in a row image`);
}

function popcount(bitmap: Buffer, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (bitmap[i >> 3]! & (1 << (i & 7))) c++;
  return c;
}

function walkImage(buf: Buffer, at: number, shape: TableShape, present: Buffer, n: number, presentCount: number): number {
  const nullBytes = (presentCount + 7) >> 3;
  const nulls = at;
  let p = at + nullBytes;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (!(present[i >> 3]! & (1 << (i & 7)))) continue;
    const isNull = buf[nulls + (k >> 3)]! & (1 << (k & 7));
    k++;
    if (isNull) continue;
    p += valueSize(buf, p, shape.types[i]!, shape.meta[i]!);
  }
  return p;
}

export const UPDATE_TYPES: ReadonlySet<number> = new Set([EventType.UPDATE_ROWS_V1, EventType.UPDATE_ROWS_V2, EventType.PARTIAL_UPDATE_ROWS]);

/** Where the parts of an uncompressed rows event are: its bitmaps and each row's image(s). */
export type RowsLayout = {
  columns: number;
  /** offset of the columns-present bitmap(s) */
  bitmapsAt: number;
  bitmapLen: number;
  /** every column is in the (before) image: binlog_row_image=FULL */
  fullImage: boolean;
  /** per row: start, end of the before (or only) image, end of the after image (updates) */
  rows: { start: number; mid: number; end: number }[];
};

export function rowsLayout(raw: Buffer, bodyEnd: number, headerLength: number, postHeaderLen: number, type: number, shape: TableShape): RowsLayout {
  const r = new ByteReader(raw, headerLength, bodyEnd);
  r.skip(postHeaderLen === 6 ? 4 : 6);
  r.skip(2);
  if (((type >= EventType.WRITE_ROWS_V2 && type <= EventType.DELETE_ROWS_V2) || type === EventType.PARTIAL_UPDATE_ROWS) && postHeaderLen >= 10) {
    const extra = r.u16();
    r.skip(Math.max(0, extra - 2));
  }
  const n = r.lenenc();
  if (n !== shape.types.length) throw new RangeError(`rows event has ${n} columns, its table map ${shape.types.length}`);
  const bmLen = (n + 7) >> 3;
  const bitmapsAt = r.pos;
  const before = r.bytes(bmLen);
  const update = UPDATE_TYPES.has(type);
  const after = update ? r.bytes(bmLen) : before;
  const cb = popcount(before, n);
  const ca = popcount(after, n);
  let p = r.pos;
  const rows: RowsLayout["rows"] = [];
  while (p < bodyEnd) {
    const start = p;
    p = walkImage(raw, p, shape, before, n, cb);
    const mid = p;
    if (update) p = walkImage(raw, p, shape, after, n, ca);
    rows.push({ start, mid, end: p });
  }
  if (p !== bodyEnd) throw new RangeError(`row images end at ${p}, past the event body (${bodyEnd})`);
  return { columns: n, bitmapsAt, bitmapLen: bmLen, fullImage: cb === n && ca === n, rows };
}

/**
 * Number of rows in an uncompressed rows event (an update counts its before/after pair once).
 * Throws RangeError when the images do not fit the table map (a damaged event or an unknown type).
 */
export function countRows(raw: Buffer, bodyEnd: number, headerLength: number, postHeaderLen: number, type: number, shape: TableShape): number {
  return rowsLayout(raw, bodyEnd, headerLength, postHeaderLen, type, shape).rows.length;
}
