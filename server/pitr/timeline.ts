import { db } from "../db/client";
import { formatRelative } from "../util/format";
import { coverageSegments, planBackups } from "./catalog-segments";
import { buildCoverage, rangeContaining } from "./coverage";
import { comparePos } from "./positions";

export type RecoverableWindow = { from: Date; to: Date; baseBackups: string[]; live: boolean };

/**
 * Everything the PITR timeline draws for a host: base backups with their coordinates, archived
 * coverage (continuous ranges), gaps with their cause, and the recoverable windows (from the
 * oldest backup that connects to a range, to the end of that range), stated in words too.
 */
export async function getTimeline(hostId: string, now = new Date()) {
  const [backups, segments, archiver] = await Promise.all([planBackups(hostId), coverageSegments(hostId), db().archiverState.findUnique({ where: { hostId } })]);
  // backups whose chain lost a link: drawn, but no restore point
  const notRestorable = await db().backup.findMany({ where: { hostId, state: "complete", chainBroken: { not: null } }, select: { id: true, consistentAt: true, finishedAt: true, chainBroken: true, backupKind: true } });
  const { ranges, gaps } = buildCoverage(segments);
  const windows: RecoverableWindow[] = [];
  for (const r of ranges) {
    const bases = backups.filter((b) => b.file && rangeContaining([r], { file: b.file, position: b.position ?? 4 }));
    if (!bases.length || !r.to) continue;
    const from = bases.reduce((m, b) => (b.consistentAt < m ? b.consistentAt : m), bases[0]!.consistentAt);
    if (from > r.to) continue;
    windows.push({ from, to: r.to, baseBackups: bases.map((b) => b.id), live: r.segments.some((s) => s.live) });
  }
  // a gap at the end: archiving stopped (or never ran) after the newest coverage
  const lastRange = ranges[ranges.length - 1];
  if (archiver && archiver.status !== "running" && lastRange?.to) {
    gaps.push({
      after: { ...lastRange.end, at: lastRange.to },
      before: { file: "", position: 0, at: now },
      cause: `the binlog archiver is ${archiver.status}${archiver.message && !archiver.message.startsWith("{") ? `: ${archiver.message}` : ""}`,
    });
  }
  windows.sort((a, b) => a.from.getTime() - b.from.getTime());
  const words = windows.length
    ? windows
        .map((w) => `recoverable from ${w.from.toISOString().replace("T", " ").slice(0, 19)} to ${w.live ? formatRelative(w.to, now.getTime()) : w.to.toISOString().replace("T", " ").slice(0, 19)}`)
        .join("; ")
    : backups.length
      ? "only to the moments of the backups themselves: no archived binlogs connect to a backup yet"
      : "nothing is recoverable yet: take a backup";
  return {
    now,
    notRestorable: notRestorable.map((b) => ({ id: b.id, kind: b.backupKind, consistentAt: b.consistentAt ?? b.finishedAt, reason: b.chainBroken! })),
    backups: backups.map((b) => ({ ...b, covered: !!(b.file && rangeContaining(ranges, { file: b.file, position: b.position ?? 4 })) })),
    ranges: ranges.map((r) => ({
      start: r.start,
      end: r.end,
      from: r.from,
      to: r.to,
      segments: r.segments.length,
      bytes: r.segments.reduce((s, x) => s + x.size, 0),
      live: r.segments.some((s) => s.live),
    })),
    gaps: gaps.sort((a, b) => (a.after.at?.getTime() ?? 0) - (b.after.at?.getTime() ?? 0) || comparePos(a.after, b.after)),
    windows,
    words,
    /** the raw segments, for client-side "what would a restore to this moment use" on hover */
    segments,
    archiver: archiver
      ? { status: archiver.status, lagSeconds: archiver.lagSeconds, lastEventAt: archiver.lastEventAt, file: archiver.file, position: archiver.position === null ? null : Number(archiver.position), message: archiver.message?.startsWith("{") ? null : archiver.message }
      : null,
  };
}
