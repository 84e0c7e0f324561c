import { ByteBuilder } from "./byte-builder";
import type { MultisetSum, SegmentDigests, Segmenter } from "./fingerprint-state";
import { frame } from "./framing";
import { quoteIdent } from "./sql-text";
import { writeNull, writeValue, type ColumnKind, type DumpColumn } from "./value-encoder";

export type Row = (Buffer | null)[];

export type RowFingerprint =
  | { kind: "pk"; digests: SegmentDigests; segmenter: Segmenter | null; keyIndex: number }
  | { kind: "multiset"; sum: MultisetSum };

/** A finished statement, framed, with what it holds (first/last: key columns only). */
export type Statement = { parts: Buffer[]; rows: number; bytes: number; first: Row; last: Row };

export function insertHeader(table: string, columns: DumpColumn[]): Buffer {
  return Buffer.from(`INSERT INTO ${quoteIdent(table)} (${columns.map((c) => quoteIdent(c.name)).join(",")}) VALUES `, "utf8");
}

/**
 * Turns rows into multi-row INSERT statements of about `targetBytes`, hashing the row bytes for the
 * fingerprint as statements are completed (in bulk, not per row, for ordered tables).
 *
 * Rows come either as mysql2 rows (arrays of value buffers) or, on the fast path, as text-protocol
 * row packets read in place (addPacket): no buffer per value, no array per row. Both paths write
 * the same bytes through the same value writers.
 */
export class InsertWriter {
  private readonly b: ByteBuilder;
  private readonly ncols: number;
  private stmtRows = 0;
  private hashFrom = 0;
  private rowStart = 0;
  private first: Row | null = null;
  // the key columns of the latest row, as ranges of its packet (materialized only when needed)
  private keyBuf: Buffer | null = null;
  private readonly keyStart: number[];
  private readonly keyEnd: number[];
  private lastRow: Row | null = null;
  rows = 0;
  bytes = 0;
  constructor(
    private readonly header: Buffer,
    private readonly kinds: ColumnKind[],
    private readonly targetBytes: number,
    private readonly fp: RowFingerprint,
    /** receives each statement; returns false to ask the producer to pause */
    private readonly emit: (s: Statement) => boolean,
    /** column positions of the key (bounds, keyset pagination) */
    private readonly keyIdx: number[] = [],
  ) {
    this.b = new ByteBuilder(targetBytes + (1 << 16));
    this.ncols = kinds.length;
    this.keyStart = keyIdx.map(() => -1);
    this.keyEnd = keyIdx.map(() => -1);
  }

  private beginRow() {
    const b = this.b;
    if (this.stmtRows === 0) {
      b.bytes(this.header);
      this.hashFrom = b.len;
    }
    this.rowStart = b.len;
    b.byte(0x28);
  }

  /** After the row's bytes: segment cut, multiset digest, statement size. */
  private endRow(segmentKey: Buffer | null, ks: number, ke: number): boolean {
    const b = this.b;
    b.byte(0x29);
    b.byte(0x2c);
    const fp = this.fp;
    if (fp.kind === "pk") {
      // the bytes before this row close the previous segment
      if (fp.segmenter && segmentKey && fp.segmenter.crosses(segmentKey, ks, ke)) {
        fp.digests.update(b.buf, this.hashFrom, this.rowStart);
        fp.digests.cut();
        this.hashFrom = this.rowStart;
      }
    } else fp.sum.add(b.buf.subarray(this.rowStart, b.len));
    if (this.stmtRows++ === 0) this.first = this.lastKeys();
    if (b.len >= this.targetBytes) return this.flush();
    return true;
  }

  add(row: Row): boolean {
    this.beginRow();
    const kinds = this.kinds;
    const b = this.b;
    for (let i = 0; i < kinds.length; i++) {
      if (i) b.byte(0x2c);
      const v = row[i]!;
      if (v === null) writeNull(b);
      else writeValue(b, kinds[i]!, v, 0, v.length);
    }
    this.keyBuf = null;
    this.lastRow = row;
    const fp = this.fp;
    const k = fp.kind === "pk" && fp.segmenter ? row[fp.keyIndex]! : null;
    return this.endRow(k, 0, k ? k.length : 0);
  }

  /**
   * A text-protocol row packet: `ncols` length-encoded strings (0xFB = NULL) from buf[pos]. The
   * values are encoded straight from the packet.
   */
  addPacket(buf: Buffer, pos: number): boolean {
    this.beginRow();
    const kinds = this.kinds;
    const b = this.b;
    const keyIdx = this.keyIdx;
    const segIndex = this.fp.kind === "pk" && this.fp.segmenter ? this.fp.keyIndex : -1;
    let segS = 0;
    let segE = 0;
    let p = pos;
    for (let i = 0; i < this.ncols; i++) {
      if (i) b.byte(0x2c);
      const c0 = buf[p]!;
      let len: number;
      let s: number;
      if (c0 < 0xfb) {
        len = c0;
        s = p + 1;
      } else if (c0 === 0xfb) {
        writeNull(b);
        p++;
        for (let j = 0; j < keyIdx.length; j++) if (keyIdx[j] === i) this.keyStart[j] = -1;
        continue;
      } else if (c0 === 0xfc) {
        len = buf[p + 1]! | (buf[p + 2]! << 8);
        s = p + 3;
      } else if (c0 === 0xfd) {
        len = buf[p + 1]! | (buf[p + 2]! << 8) | (buf[p + 3]! << 16);
        s = p + 4;
      } else {
        len = buf.readUInt32LE(p + 1) + buf.readUInt32LE(p + 5) * 0x100000000;
        s = p + 9;
      }
      const e = s + len;
      writeValue(b, kinds[i]!, buf, s, e);
      if (i === segIndex) {
        segS = s;
        segE = e;
      }
      for (let j = 0; j < keyIdx.length; j++)
        if (keyIdx[j] === i) {
          this.keyStart[j] = s;
          this.keyEnd[j] = e;
        }
      p = e;
    }
    this.keyBuf = buf;
    this.lastRow = null;
    return this.endRow(segIndex >= 0 ? buf : null, segS, segE);
  }

  /** The key columns of the latest row, as a row (other columns left empty). */
  lastKeys(): Row | null {
    if (this.lastRow) return this.lastRow;
    const buf = this.keyBuf;
    if (!buf) return null;
    const row: Row = new Array(this.ncols).fill(null);
    this.keyIdx.forEach((col, j) => {
      if (this.keyStart[j]! >= 0) row[col] = Buffer.from(buf.subarray(this.keyStart[j], this.keyEnd[j]));
    });
    return row;
  }

  /** Emits the statement being built, if any. */
  flush(): boolean {
    if (!this.stmtRows) return true;
    const b = this.b;
    if (this.fp.kind === "pk") this.fp.digests.update(b.buf, this.hashFrom, b.len);
    const len = b.len;
    const stmt = b.take().subarray(0, len - 1); // without the trailing ","
    const rows = this.stmtRows;
    this.stmtRows = 0;
    this.rows += rows;
    const parts = frame(stmt, { k: "insert", rows });
    const bytes = parts.reduce((s, p) => s + p.length, 0);
    this.bytes += bytes;
    return this.emit({ parts, rows, bytes, first: this.first!, last: this.lastKeys()! });
  }
}
