// A binlog file can be archived in several segments (the archiver stopped cleanly mid-file, or
// rotateSize cut it). Each is named after the file and the position it starts at, zero-padded so
// that names sort in file order: binlog.000042.0000000004, binlog.000042.0001048576, ...

const POS_WIDTH = 10; // positions are 32-bit

export function segmentBaseName(file: string, startPosition: number): string {
  return `${file}.${String(startPosition).padStart(POS_WIDTH, "0")}`;
}

export function normalizeStorePrefix(p: string | undefined): string {
  const s = (p ?? "").replace(/^\/+/, "");
  return s === "" || s.endsWith("/") ? s : `${s}/`;
}

/** Object key of a segment's data. */
export function segmentKey(prefix: string, file: string, startPosition: number, compressed: boolean): string {
  return `${normalizeStorePrefix(prefix)}${segmentBaseName(file, startPosition)}${compressed ? ".zst" : ""}`;
}

/** Object key of a segment's metadata, written after its data (its presence means the segment is complete). */
export function segmentMetaKey(prefix: string, file: string, startPosition: number): string {
  return `${normalizeStorePrefix(prefix)}${segmentBaseName(file, startPosition)}.meta.json`;
}

const META_RE = /^(.*)\.(\d{10})\.meta\.json$/;

export function parseSegmentMetaKey(key: string): { file: string; startPosition: number } | null {
  const base = key.slice(key.lastIndexOf("/") + 1);
  const m = META_RE.exec(base);
  return m ? { file: m[1]!, startPosition: Number(m[2]) } : null;
}

/** Orders binlog file names by their numeric suffix (binlog.000009 < binlog.000010 < binlog.1000000). */
export function compareBinlogFiles(a: string, b: string): number {
  const ma = /^(.*)\.(\d+)$/.exec(a);
  const mb = /^(.*)\.(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders (file, position) coordinates. */
export function compareCoordinates(a: { file: string; position: number }, b: { file: string; position: number }): number {
  return compareBinlogFiles(a.file, b.file) || a.position - b.position;
}
