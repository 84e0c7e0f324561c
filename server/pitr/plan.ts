import { DomainError } from "../errors";
import { buildCoverage, rangeContaining, type CoverageRange, type CoverageSegment } from "./coverage";
import { isMariaGtid, isMysqlGtid, stateIncludes } from "./gtid";
import { comparePos, formatPos, parsePos, type BinlogPos } from "./positions";

export type PitrTarget = { time: Date } | { gtid: string } | { position: BinlogPos };

/** `chain`: a mariabackup backup's kind, base and LSN range (the timeline draws the links) */
export type PlanBackup = { id: string; consistentAt: Date; file: string | null; position: number | null; gtid: string | null; engine: string; sizeBytes: number; verifyState: string; chain?: { kind: string; parentId: string | null; fromLsn: string | null; toLsn: string | null } };

export type PitrPlan = {
  target: PitrTarget;
  backup: PlanBackup;
  /** replay from the backup's coordinates ... */
  from: BinlogPos;
  /** ... through the segments below, stopping at the target */
  segments: CoverageSegment[];
  bytesToReplay: number;
  estimatedSeconds: number;
  /** backups newer than the target or not connected to it, with the reason, for the plan's explanation */
  skipped: { id: string; reason: string }[];
  summary: string;
};

/** Replay throughput assumed for estimates until runs have measured it (bytes/s). */
export const DEFAULT_REPLAY_RATE = 8 * 1024 * 1024;

export function parseTarget(s: { until?: string; untilGtid?: string; untilPosition?: string }): PitrTarget {
  if (s.untilGtid) {
    if (!isMariaGtid(s.untilGtid) && !isMysqlGtid(s.untilGtid)) throw new DomainError("INVALID", `${s.untilGtid} is not a GTID: use domain-server-seq (MariaDB, e.g. 0-1-1234) or uuid:n (MySQL).`, { field: "untilGtid" });
    return { gtid: s.untilGtid.trim() };
  }
  if (s.untilPosition) {
    const p = parsePos(s.untilPosition);
    if (!p) throw new DomainError("INVALID", `${s.untilPosition} is not a binlog position: use FILE:POS, e.g. binlog.000012:4567.`, { field: "untilPosition" });
    return { position: p };
  }
  if (s.until) {
    const t = new Date(s.until);
    if (Number.isNaN(t.getTime())) throw new DomainError("INVALID", `${s.until} is not a time: use ISO 8601, e.g. 2026-11-20T14:03:00Z.`, { field: "until" });
    return { time: t };
  }
  throw new DomainError("INVALID", "Say where to stop: a time, a GTID or a binlog position.", { field: "until" });
}

export function describeTarget(t: PitrTarget): string {
  return "time" in t ? t.time.toISOString() : "gtid" in t ? `GTID ${t.gtid}` : formatPos(t.position);
}

/**
 * Whether a backup consistent at `at` can be replayed forward to the target time. Commit times in
 * the binlog are whole seconds: a target second T means every commit stamped T or earlier, so a
 * backup consistent at any moment within second T can be replayed forward to it.
 */
export function consistentBeforeTime(at: Date, time: Date): boolean {
  return Math.floor(at.getTime() / 1000) * 1000 <= time.getTime();
}

/** Whether the backup's consistent point is at or before the target. */
function backupBefore(b: PlanBackup, t: PitrTarget): boolean {
  if ("time" in t) return consistentBeforeTime(b.consistentAt, t.time);
  if ("gtid" in t) return !!b.gtid && !stateIncludes(b.gtid, t.gtid);
  return !!b.file && comparePos({ file: b.file, position: b.position ?? 0 }, t.position) <= 0;
}

/** Whether the range reaches the target, and the segments needed to get there from `from`. */
function reach(range: CoverageRange, from: BinlogPos, t: PitrTarget): CoverageSegment[] | null {
  const after = range.segments.filter((s) => comparePos({ file: s.file, position: s.endPosition }, from) > 0);
  const need: CoverageSegment[] = [];
  for (const s of after) {
    need.push(s);
    if ("time" in t) {
      // the target lies inside or before the end of this segment
      if (s.lastEventAt && s.lastEventAt.getTime() >= t.time.getTime()) return need;
    } else if ("gtid" in t) {
      if (stateIncludes(s.gtidStateEnd, t.gtid)) return need;
    } else if (comparePos({ file: s.file, position: s.endPosition }, t.position) >= 0) {
      return need;
    }
  }
  // Past the newest archived event, events may exist that were never archived: not reachable.
  // (A running, caught-up archiver's live tail reports "archived up to" the time it was caught up.)
  return null;
}

/**
 * Picks the newest base backup at or before the target whose coordinates connect to the target
 * through archived binlogs without a gap, and lists what will be replayed. Refuses with a message
 * that names the gap when no backup connects.
 */
export function planPitr(input: { target: PitrTarget; backups: PlanBackup[]; segments: CoverageSegment[]; replayRate?: number }): PitrPlan {
  const { target } = input;
  const { ranges, gaps } = buildCoverage(input.segments);
  const skipped: PitrPlan["skipped"] = [];
  const candidates = [...input.backups].sort((a, b) => b.consistentAt.getTime() - a.consistentAt.getTime());
  let reasonNoneBefore = true;
  for (const b of candidates) {
    if (!backupBefore(b, target)) {
      skipped.push({ id: b.id, reason: `taken after ${describeTarget(target)}` });
      continue;
    }
    reasonNoneBefore = false;
    if (!b.file) {
      skipped.push({ id: b.id, reason: "has no binlog coordinates (binary logging was off when it was taken)" });
      continue;
    }
    const from = { file: b.file, position: b.position ?? 4 };
    const range = rangeContaining(ranges, from);
    if (!range) {
      const later = ranges.find((r) => comparePos(r.start, from) > 0);
      skipped.push({
        id: b.id,
        reason: `no archived binlog covers its coordinates ${formatPos(from)}${later ? ` (the archive begins only at ${formatPos(later.start)}: the archiver was not running when this backup was taken)` : ranges.length ? " (the archive ends before them)" : " (nothing is archived)"}`,
      });
      continue;
    }
    const segs = reach(range, from, target);
    if (!segs) {
      const gap = gaps.find((g) => comparePos(g.after, range.end) === 0);
      skipped.push({ id: b.id, reason: gap ? `the archive has a gap after ${formatPos(gap.after)}: ${gap.cause}` : `archived binlogs end at ${formatPos(range.end)}${range.to ? ` (${range.to.toISOString()})` : ""}, before the target` });
      continue;
    }
    const bytes = segs.reduce((s, x) => s + x.size, 0);
    const rate = input.replayRate ?? DEFAULT_REPLAY_RATE;
    return {
      target,
      backup: b,
      from,
      segments: segs,
      bytesToReplay: bytes,
      estimatedSeconds: Math.ceil(bytes / rate),
      skipped,
      summary: `Restore backup ${b.id} (${b.engine}, consistent at ${b.consistentAt.toISOString()}), then replay ${segs.length} archived binlog segment(s) from ${formatPos(from)} up to ${describeTarget(target)}.`,
    };
  }
  if (reasonNoneBefore) {
    throw new DomainError("PRECONDITION", `No backup is older than ${describeTarget(target)}: the oldest recoverable point is the oldest backup's consistent time.`);
  }
  throw new DomainError(
    "PRECONDITION",
    `No backup connects to ${describeTarget(target)} through archived binlogs without a gap. ${skipped.filter((s) => !s.reason.startsWith("taken after")).map((s) => `Backup ${s.id}: ${s.reason}.`).join(" ")} Take a new full backup to start a new recoverable window (a running archive covers every backup taken while it runs).`,
  );
}
