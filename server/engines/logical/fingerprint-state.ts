import crypto, { type Hash } from "node:crypto";

/**
 * Table fingerprints, computed from the exact bytes the dump writes for each row: the row's tuple
 * "(v1,v2,...)" followed by ",". The same encoder run against any server holding the same rows gives
 * the same bytes, so a restored copy can be checked without the source.
 *
 * pk-sha256 (tables with a usable key): rows in key order are cut into segments, each segment is
 * hashed (sha256 of its row bytes) and the fingerprint is sha256 of the segment digests in order.
 * When the first key column is an integer, segments are key buckets of width W, W the smallest power
 * of two with (max - min + 1) / W <= 1024; the dump's parallel ranges are cut on bucket boundaries,
 * so chaining the ranges' digests in range order gives exactly the digest of one ordered scan. For
 * other keys the whole table is one segment (those tables are read in order by one worker).
 * multiset-sha256 (no usable key): sum modulo 2^256 of sha256(row bytes) over all rows, so the
 * order in which the server returns rows does not matter (duplicate rows count twice).
 * Both add little to the dump: the pk method hashes each statement's bytes once, in bulk.
 */

export const SEGMENT_COUNT = 1024n;

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Bucket width for integer keys in [min, max]. */
export function segmentWidth(min: bigint, max: bigint): bigint {
  const span = max - min + 1n;
  const need = (span + SEGMENT_COUNT - 1n) / SEGMENT_COUNT;
  let w = 1n;
  while (w < need) w <<= 1n;
  return w;
}

/** Parses an integer's decimal text in raw[s, e) (as the server sends it); big values become bigint. */
export function parseIntText(raw: Buffer, s = 0, e = raw.length): number | bigint {
  if (e - s > 15) return BigInt(raw.toString("latin1", s, e));
  let i = s;
  let neg = false;
  if (raw[i] === 0x2d) {
    neg = true;
    i++;
  }
  let v = 0;
  for (; i < e; i++) v = v * 10 + (raw[i]! - 48);
  return neg ? -v : v;
}

/** Tells when a row (by its first key column) enters a new bucket. */
export class Segmenter {
  private endBig: bigint | null = null;
  private endNum = -Infinity;
  constructor(readonly width: bigint) {}
  /** True when the row (key text in raw[s, e)) starts a new segment (always for the first row). */
  crosses(raw: Buffer, s = 0, e = raw.length): boolean {
    const v = parseIntText(raw, s, e);
    if (this.endBig !== null && (typeof v === "number" ? v < this.endNum : v < this.endBig)) return false;
    const b = typeof v === "bigint" ? v : BigInt(v);
    this.endBig = (floorDiv(b, this.width) + 1n) * this.width;
    this.endNum = Number(this.endBig);
    return true;
  }
}

/** Segment digests of ordered rows, fed with byte ranges of the statements being written. */
export class SegmentDigests {
  readonly digests: Buffer[] = [];
  private h: Hash | null = null;
  update(b: Buffer, from: number, to: number) {
    if (to > from) (this.h ??= crypto.createHash("sha256")).update(b.subarray(from, to));
  }
  /** Ends the current segment (if it has rows). */
  cut() {
    if (this.h) {
      this.digests.push(this.h.digest());
      this.h = null;
    }
  }
}

export function combineSegments(digests: Buffer[]): string {
  const h = crypto.createHash("sha256");
  for (const d of digests) h.update(d);
  return h.digest("hex");
}

const LANES = 8;
const NORMALIZE_EVERY = 1 << 20;

/** Sum modulo 2^256 of row digests (big-endian 256-bit integers), in 32-bit lanes. */
export class MultisetSum {
  private readonly lanes = new Array<number>(LANES).fill(0);
  private pending = 0;
  add(rowBytes: Buffer) {
    const d = crypto.hash("sha256", rowBytes, "buffer") as unknown as Buffer;
    const l = this.lanes;
    for (let i = 0; i < LANES; i++) l[i]! += d.readUInt32BE(i * 4);
    if (++this.pending >= NORMALIZE_EVERY) this.normalize();
  }
  /** Adds another sum (e.g. of a part of the table read elsewhere). */
  merge(o: MultisetSum) {
    o.normalize();
    this.normalize();
    for (let i = 0; i < LANES; i++) this.lanes[i]! += o.lanes[i]!;
    this.normalize();
  }
  private normalize() {
    let carry = 0;
    for (let i = LANES - 1; i >= 0; i--) {
      const v = this.lanes[i]! + carry;
      this.lanes[i] = v % 0x100000000;
      carry = Math.floor(v / 0x100000000);
    }
    this.pending = 0;
  }
  hex(): string {
    this.normalize();
    return this.lanes.map((v) => v.toString(16).padStart(8, "0")).join("");
  }
}
