import type { LocalSegment } from "./archive-state";
import type { SegmentMeta } from "./archiver-types";

const tsToDate = (t: number | null) => (t === null ? null : new Date(t * 1000));

/** Metadata for a closed local segment once its object is stored. */
export function buildSegmentMeta(
  seg: LocalSegment,
  flavor: "mariadb" | "mysql",
  stored: { key: string; size: number; sha256: string; storedSize: number; storedSha256: string; compressed: boolean },
): SegmentMeta {
  return {
    flavor,
    file: seg.file,
    startPosition: seg.startPosition,
    endPosition: seg.endPosition,
    byteOffset: seg.byteOffset,
    firstEventAt: tsToDate(seg.stats.firstEventTs),
    lastEventAt: tsToDate(seg.stats.lastEventTs),
    gtidFirst: seg.stats.gtidFirst,
    gtidLast: seg.stats.gtidLast,
    gtidStateEnd: seg.stats.gtidStateEnd,
    serverIds: [...seg.stats.serverIds].sort((a, b) => a - b),
    eventCount: seg.stats.eventCount,
    size: stored.size,
    sha256: stored.sha256,
    storedSize: stored.storedSize,
    storedSha256: stored.storedSha256,
    compressed: stored.compressed,
    compression: stored.compressed ? "zstd" : "none",
    key: stored.key,
    endedBy: seg.endedBy ?? "shutdown",
    fileComplete: seg.fileComplete ?? false,
    createdAt: new Date(),
  };
}

/** The JSON stored next to a segment (dates as ISO strings). */
export function serializeSegmentMeta(m: SegmentMeta): string {
  return JSON.stringify(m, null, 1);
}

export function parseSegmentMeta(text: string): SegmentMeta {
  const o = JSON.parse(text) as Record<string, unknown>;
  const d = (v: unknown) => (typeof v === "string" ? new Date(v) : null);
  return { ...(o as unknown as SegmentMeta), firstEventAt: d(o.firstEventAt), lastEventAt: d(o.lastEventAt), createdAt: d(o.createdAt) ?? new Date(0) };
}
