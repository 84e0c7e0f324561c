import type { Row } from "./insert-writer";

/** Key values for a manifest entry's bounds: text when printable ASCII, else { hex }. */
export function keyJson(row: Row, keyIdx: number[]): unknown[] {
  return keyIdx.map((i) => {
    const v = row[i];
    if (v === null || v === undefined) return null;
    for (let j = 0; j < v.length; j++) if (v[j]! < 0x20 || v[j]! > 0x7e) return { hex: v.toString("hex") };
    return v.toString("latin1");
  });
}
