import { comparePos, fileBase, fileNumber, formatPos, type BinlogPos } from "./positions";

/** An archived segment as the timeline needs it. */
export type CoverageSegment = {
  id: string;
  file: string;
  startPosition: number;
  endPosition: number;
  firstEventAt: Date | null;
  lastEventAt: Date | null;
  gtidFirst: string | null;
  gtidLast: string | null;
  gtidStateEnd: string | null;
  endedBy: string;
  fileComplete: boolean;
  serverIds: number[];
  size: number;
  /** true for the archiver's open, durable but not yet shipped tail */
  live?: boolean;
};

/** A run of segments with no missing event between them. */
export type CoverageRange = {
  start: BinlogPos;
  end: BinlogPos;
  from: Date | null;
  to: Date | null;
  segments: CoverageSegment[];
};

export type CoverageGap = { after: BinlogPos & { at: Date | null }; before: BinlogPos & { at: Date | null }; cause: string };

/** The first event of a binlog file is at position 4, right after the magic header. */
const FIRST_EVENT = 4;

/**
 * Whether `next` continues `cur` without losing an event, and if not, why. A file that ended
 * without a rotate event (server crash) continues in the next file: the server never wrote more
 * to it, so nothing is lost.
 */
export function continuity(cur: CoverageSegment, next: CoverageSegment): { ok: true } | { ok: false; cause: string } {
  if (cur.file === next.file) {
    if (next.startPosition === cur.endPosition) return { ok: true };
    if (next.startPosition < cur.endPosition) return { ok: true }; // overlap: the later segment repeats events already covered
    return { ok: false, cause: `events ${formatPos({ file: cur.file, position: cur.endPosition })} to ${formatPos({ file: next.file, position: next.startPosition })} were not archived (the archiver could not resume exactly)` };
  }
  if (fileBase(cur.file) !== fileBase(next.file) || fileNumber(next.file) < fileNumber(cur.file)) {
    return { ok: false, cause: `the binlog sequence restarted (${cur.file} then ${next.file}): the server was replaced, its binlogs reset, or its server id changed` };
  }
  const serverChanged = cur.serverIds.length && next.serverIds.length && !next.serverIds.some((id) => cur.serverIds.includes(id));
  if (serverChanged) return { ok: false, cause: `server id changed from ${cur.serverIds.join(",")} to ${next.serverIds.join(",")}` };
  const ended = cur.fileComplete || cur.endedBy === "rotate" || cur.endedBy === "stop-event" || cur.endedBy === "file-change";
  if (fileNumber(next.file) === fileNumber(cur.file) + 1 && ended && next.startPosition <= FIRST_EVENT) return { ok: true };
  if (cur.endedBy === "gap") return { ok: false, cause: "the server skipped events the archiver asked for (GTID start past missing transactions)" };
  if (fileNumber(next.file) > fileNumber(cur.file) + 1 || !ended) {
    return {
      ok: false,
      cause: `the archiver was not running while the rest of ${cur.file}${fileNumber(next.file) > fileNumber(cur.file) + 1 ? ` and ${fileNumber(next.file) - fileNumber(cur.file) - 1} later file(s)` : ""} were written, and they were purged from the server before they could be archived`,
    };
  }
  return { ok: false, cause: `${next.file} is archived from position ${next.startPosition}, not from its start` };
}

/** Groups segments (any order) into continuous ranges and the gaps between them. */
export function buildCoverage(segments: CoverageSegment[]): { ranges: CoverageRange[]; gaps: CoverageGap[] } {
  const sorted = [...segments].sort((a, b) => comparePos({ file: a.file, position: a.startPosition }, { file: b.file, position: b.startPosition }));
  const ranges: CoverageRange[] = [];
  const gaps: CoverageGap[] = [];
  let cur: CoverageRange | null = null;
  for (const s of sorted) {
    const last: CoverageSegment | undefined = cur?.segments[cur.segments.length - 1];
    if (cur && last) {
      const c = continuity(last, s);
      if (c.ok) {
        cur.segments.push(s);
        if (comparePos({ file: s.file, position: s.endPosition }, cur.end) > 0) cur.end = { file: s.file, position: s.endPosition };
        if (s.lastEventAt && (!cur.to || s.lastEventAt > cur.to)) cur.to = s.lastEventAt;
        continue;
      }
      gaps.push({ after: { ...cur.end, at: cur.to }, before: { file: s.file, position: s.startPosition, at: s.firstEventAt }, cause: c.cause });
    }
    cur = { start: { file: s.file, position: s.startPosition }, end: { file: s.file, position: s.endPosition }, from: s.firstEventAt, to: s.lastEventAt, segments: [s] };
    ranges.push(cur);
  }
  return { ranges, gaps };
}

/** The range that contains a position (a backup's coordinates), if any. */
export function rangeContaining(ranges: CoverageRange[], p: BinlogPos): CoverageRange | undefined {
  return ranges.find((r) => comparePos(r.start, p) <= 0 && comparePos(p, r.end) <= 0);
}
