import { db, parseJson } from "../db/client";
import type { ArchiveStart } from "../binlog";
import { comparePos, formatPos, type BinlogPos } from "../pitr/positions";
import type { Retention } from "../policies/schemas";
import { planRetention, type RetainedBackup } from "../retention/plan";

const DAY = 86400000;

export type CoverBackup = RetainedBackup & { policyId: string | null };
export type CoverPolicy = { id: string; retention: Retention };

/** A backup an archive must reach back to, and why. */
export type CoverNeed = { backupId: string; at: BinlogPos; reason: string };

/**
 * The backups of a host whose coordinates a new archive must cover so that point-in-time recovery
 * works from them: per policy, the oldest backup its retention keeps for its PITR window (the base
 * backup before the window, else the oldest one inside it), or, for a policy without a window, its
 * newest backup; and the host's newest backup in any case. Returns the earliest of those.
 */
export function oldestNeededBackup(input: { backups: CoverBackup[]; policies: CoverPolicy[]; now: Date }): CoverNeed | null {
  const withPos = input.backups.filter((b) => b.binlogFile);
  const needs: CoverNeed[] = [];
  const need = (b: CoverBackup, reason: string) => needs.push({ backupId: b.id, at: { file: b.binlogFile!, position: b.binlogPos ?? 4 }, reason });
  const newest = (bs: CoverBackup[]) => [...bs].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime())[0];

  const hostNewest = newest(withPos);
  if (hostNewest) need(hostNewest, "the host's newest backup");
  for (const p of input.policies) {
    const mine = input.backups.filter((b) => b.policyId === p.id);
    const days = p.retention.pitrDays ?? 0;
    if (days > 0) {
      const plan = planRetention({ backups: mine, retention: p.retention, now: input.now });
      const kept = new Set(plan.keep.map((k) => k.id));
      const windowStart = input.now.getTime() - days * DAY;
      const inWindow = mine.filter((b) => kept.has(b.id) && b.binlogFile && (b.finishedAt.getTime() > windowStart || plan.keep.find((k) => k.id === b.id)!.reasons.some((r) => r.startsWith("base backup for point-in-time"))));
      const oldest = [...inWindow].sort((a, b) => a.finishedAt.getTime() - b.finishedAt.getTime())[0];
      if (oldest) need(oldest, `the oldest backup policy ${p.id} keeps for point-in-time recovery of the last ${days} days`);
    } else {
      const n = newest(mine.filter((b) => b.binlogFile));
      if (n) need(n, `the newest backup of policy ${p.id}`);
    }
  }
  return needs.sort((a, b) => comparePos(a.at, b.at))[0] ?? null;
}

/** The host's backups and policies from the catalog, as oldestNeededBackup takes them. */
export async function neededBackupOf(hostId: string, now = new Date()): Promise<CoverNeed | null> {
  const rows = await db().backup.findMany({ where: { hostId, state: "complete" } });
  const policies = await db().policy.findMany({ where: { hostId } });
  return oldestNeededBackup({
    now,
    backups: rows.map((b) => ({ id: b.id, policyId: b.policyId, finishedAt: b.finishedAt, verifyState: b.verifyState, binlogFile: b.binlogFile, binlogPos: b.binlogPos === null ? null : Number(b.binlogPos) })),
    policies: policies.map((p) => ({ id: p.id, retention: parseJson<Retention>(p.retention, { keepLast: 7 }) })),
  });
}

/**
 * Where a new archive of the host starts: at the start of the binlog file that holds the coordinates
 * of the oldest backup it must cover (from the file's start, so the archive has the file's format
 * description event, which replay needs), or at the start of the current file when the host has no
 * backup. When the server no longer has that file, at its oldest binlog: the backup then cannot be
 * covered, and the timeline shows the gap before the archive.
 */
export function coveringStart(need: CoverNeed | null, serverFiles: string[], current: BinlogPos | null): { start: ArchiveStart; why: string } {
  if (!need) return current ? { start: { file: current.file, position: 4 }, why: "the host has no backup with binlog coordinates: from the start of the current binlog" } : { start: "current", why: "the host has no backup with binlog coordinates" };
  if (serverFiles.includes(need.at.file)) return { start: { file: need.at.file, position: 4 }, why: `covering backup ${need.backupId} at ${formatPos(need.at)} (${need.reason})` };
  return {
    start: "oldest",
    why: `the server no longer has ${need.at.file}, where backup ${need.backupId} (${need.reason}) is, so the archive cannot cover it: from the oldest binlog the server has${serverFiles[0] ? ` (${serverFiles[0]})` : ""}; take a new backup to start a recoverable window`,
  };
}
