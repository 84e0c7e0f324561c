import type { Retention } from "../policies/schemas";

export type RetainedBackup = {
  id: string;
  finishedAt: Date;
  verifyState: string;
  binlogFile: string | null;
  binlogPos: number | null;
  /** a mariabackup incremental or differential: the backup it is a delta of */
  parentId?: string | null;
};
export type RetainedSegment = { id: string; fileName: string; startPos: number; endPos: number; lastEventAt: Date | null };

export type RetentionPlan = {
  keep: { id: string; reasons: string[] }[];
  prune: { id: string; reason: string }[];
  segmentsPrune: { id: string; reason: string }[];
  /** the oldest backup kept: binlogs before its coordinates cannot serve any restore */
  oldestKept: string | null;
};

const DAY = 86400000;

/** binlog.000012 -> 12; files of one server sort by their number. */
function fileNumber(name: string): number {
  const m = /\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}

function before(aFile: string, aPos: number, bFile: string, bPos: number) {
  const a = fileNumber(aFile);
  const b = fileNumber(bFile);
  return a < b || (a === b && aPos <= bPos);
}

function periodKey(d: Date, unit: "day" | "week" | "month" | "year"): string {
  const y = d.getUTCFullYear();
  if (unit === "year") return `${y}`;
  if (unit === "month") return `${y}-${d.getUTCMonth() + 1}`;
  if (unit === "day") return d.toISOString().slice(0, 10);
  // ISO week: the Thursday of this week decides the year
  const t = new Date(Date.UTC(y, d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return `${t.getUTCFullYear()}-W${Math.ceil(((t.getTime() - yearStart) / DAY + 1) / 7)}`;
}

/**
 * Decides which backups (of one policy) to keep and which to prune, with a reason for each, and
 * which binlog segments (of the host) are no longer needed. Pure: the prune run executes it, and
 * the dry-run shows it. Never prunes the newest backup, the newest verified backup, or the base
 * backup the retained point-in-time window needs; never prunes binlogs after the oldest kept backup.
 */
export function planRetention(input: { backups: RetainedBackup[]; retention: Retention; now: Date; segments?: RetainedSegment[]; otherHostBackups?: RetainedBackup[] }): RetentionPlan {
  const r = input.retention;
  const sorted = [...input.backups].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime());
  const reasons = new Map<string, string[]>();
  const keep = (id: string, why: string) => reasons.set(id, [...(reasons.get(id) ?? []), why]);

  if (sorted[0]) keep(sorted[0].id, "newest backup");
  const newestVerified = sorted.find((b) => b.verifyState === "verified");
  if (newestVerified) keep(newestVerified.id, "newest verified backup");
  if (r.keepLast) sorted.slice(0, r.keepLast).forEach((b, i) => keep(b.id, `among the last ${r.keepLast} (#${i + 1})`));
  if (r.keepDays) for (const b of sorted) if (input.now.getTime() - b.finishedAt.getTime() < r.keepDays * DAY) keep(b.id, `younger than ${r.keepDays} days`);
  if (r.gfs) {
    const units: [keyof NonNullable<Retention["gfs"]>, "day" | "week" | "month" | "year"][] = [
      ["daily", "day"],
      ["weekly", "week"],
      ["monthly", "month"],
      ["yearly", "year"],
    ];
    for (const [field, unit] of units) {
      const n = r.gfs[field] ?? 0;
      if (!n) continue;
      const seen = new Set<string>();
      for (const b of sorted) {
        const k = periodKey(b.finishedAt, unit);
        if (seen.has(k)) continue;
        if (seen.size >= n) break;
        seen.add(k);
        keep(b.id, `${field} (${k})`);
      }
    }
  }
  if (r.pitrDays) {
    const windowStart = new Date(input.now.getTime() - r.pitrDays * DAY);
    const base = sorted.find((b) => b.finishedAt.getTime() <= windowStart.getTime() && b.binlogFile);
    if (base) keep(base.id, `base backup for point-in-time recovery back to ${windowStart.toISOString()}`);
  }

  // chains stay whole: every link a kept backup (of this policy, or any other backup of the host,
  // which this plan never prunes) is restored from is kept with it
  const parentOf = new Map([...input.backups, ...(input.otherHostBackups ?? [])].map((b) => [b.id, b.parentId ?? null]));
  const dependents = [...sorted.filter((b) => reasons.has(b.id)), ...(input.otherHostBackups ?? [])];
  for (const d of dependents) {
    const seen = new Set<string>([d.id]);
    for (let p = parentOf.get(d.id) ?? null; p && !seen.has(p); p = parentOf.get(p) ?? null) {
      seen.add(p);
      if (sorted.some((b) => b.id === p)) keep(p, `a link of the chain of kept backup ${d.id}`);
    }
  }

  const keepList = sorted.filter((b) => reasons.has(b.id)).map((b) => ({ id: b.id, reasons: reasons.get(b.id)! }));
  const prune = sorted.filter((b) => !reasons.has(b.id)).map((b) => ({ id: b.id, reason: pruneReason(r) }));

  // binlogs: only those entirely before the oldest backup that remains on the host (this policy's
  // kept backups and any other backup of the host) can go
  const remaining = [...sorted.filter((b) => reasons.has(b.id)), ...(input.otherHostBackups ?? [])].filter((b) => b.binlogFile);
  const oldest = remaining.sort((a, b) => (before(a.binlogFile!, a.binlogPos ?? 0, b.binlogFile!, b.binlogPos ?? 0) ? -1 : 1))[0];
  const segmentsPrune: RetentionPlan["segmentsPrune"] = [];
  if (oldest && input.segments) {
    for (const s of input.segments) {
      if (before(s.fileName, s.endPos, oldest.binlogFile!, oldest.binlogPos ?? 0) && !(s.fileName === oldest.binlogFile && s.endPos > (oldest.binlogPos ?? 0))) {
        segmentsPrune.push({ id: s.id, reason: `ends at ${s.fileName}:${s.endPos}, before the oldest kept backup (${oldest.id} at ${oldest.binlogFile}:${oldest.binlogPos})` });
      }
    }
  }
  return { keep: keepList, prune, segmentsPrune, oldestKept: oldest?.id ?? keepList[keepList.length - 1]?.id ?? null };
}

function pruneReason(r: Retention): string {
  const rules = [
    r.keepLast ? `not among the last ${r.keepLast}` : null,
    r.keepDays ? `older than ${r.keepDays} days` : null,
    r.gfs ? "not a GFS keeper" : null,
  ].filter(Boolean);
  return rules.join(", ") || "no rule keeps it";
}
