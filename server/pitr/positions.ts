/** A binlog position: file name and byte offset. Files of one server sort by their numeric suffix. */
export type BinlogPos = { file: string; position: number };

export function fileNumber(file: string): number {
  const m = /\.(\d+)$/.exec(file);
  return m ? Number(m[1]) : 0;
}

export function fileBase(file: string): string {
  return file.replace(/\.\d+$/, "");
}

/** -1, 0, 1 like a comparator. */
export function comparePos(a: BinlogPos, b: BinlogPos): number {
  const fa = fileNumber(a.file);
  const fb = fileNumber(b.file);
  if (fa !== fb) return fa < fb ? -1 : 1;
  return a.position === b.position ? 0 : a.position < b.position ? -1 : 1;
}

export function formatPos(p: BinlogPos): string {
  return `${p.file}:${p.position}`;
}

/** Parses "binlog.000012:4567". */
export function parsePos(s: string): BinlogPos | null {
  const m = /^(.+):(\d+)$/.exec(s.trim());
  return m ? { file: m[1]!, position: Number(m[2]) } : null;
}
