import { describe, expect, it } from "vitest";
import { planRetention, type RetainedBackup } from "../../server/retention/plan";

const now = new Date("2026-11-23T12:00:00Z");
const daysAgo = (d: number, h = 3) => new Date(now.getTime() - d * 86400000 - (12 - h) * 3600000);

/** one nightly backup at 03:00 for n days, each at the next binlog file */
function nightly(n: number, verified: number[] = []): RetainedBackup[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `b${i}`,
    finishedAt: daysAgo(i),
    verifyState: verified.includes(i) ? "verified" : "unverified",
    binlogFile: `binlog.${String(100 - i).padStart(6, "0")}`,
    binlogPos: 1000,
  }));
}
const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();

describe("retention plan", () => {
  it("keep last N", () => {
    const p = planRetention({ backups: nightly(10), retention: { keepLast: 3 }, now });
    expect(ids(p.keep)).toEqual(["b0", "b1", "b2"]);
    expect(p.prune).toHaveLength(7);
    expect(p.prune[0]!.reason).toMatch(/not among the last 3/);
  });

  it("keep D days", () => {
    const p = planRetention({ backups: nightly(10), retention: { keepDays: 5 }, now });
    expect(ids(p.keep)).toEqual(["b0", "b1", "b2", "b3", "b4"]);
  });

  it("GFS keeps the newest of each day, week, month", () => {
    const p = planRetention({ backups: nightly(70), retention: { gfs: { daily: 7, weekly: 4, monthly: 3, yearly: 0 } }, now });
    const kept = new Set(p.keep.map((k) => k.id));
    for (let i = 0; i < 7; i++) expect(kept.has(`b${i}`)).toBe(true);
    // monthly: newest of November (b0), October (b23: Oct 31), September (b54: Sep 30)
    expect(kept.has("b23")).toBe(true);
    expect(kept.has("b54")).toBe(true);
    expect(kept.has("b53")).toBe(false);
    expect(kept.size).toBeLessThan(7 + 4 + 3);
  });

  it("never prunes the newest verified backup, nor the base the PITR window needs", () => {
    const p = planRetention({ backups: nightly(20, [12]), retention: { keepLast: 2, pitrDays: 7 }, now });
    const kept = Object.fromEntries(p.keep.map((k) => [k.id, k.reasons.join("; ")]));
    expect(kept.b12).toMatch(/newest verified backup/);
    // window starts 7 days ago at 12:00; b7 finished 7 days ago at 03:00, the newest before it
    expect(kept.b7).toMatch(/base backup for point-in-time recovery/);
    expect(kept.b6).toBeUndefined();
  });

  it("prunes binlog segments only before the oldest kept backup", () => {
    const backups = nightly(5);
    const segments = [
      { id: "s-old", fileName: "binlog.000090", startPos: 4, endPos: 5000, lastEventAt: daysAgo(10) },
      { id: "s-before", fileName: "binlog.000097", startPos: 4, endPos: 999, lastEventAt: daysAgo(3) },
      { id: "s-straddle", fileName: "binlog.000097", startPos: 4, endPos: 2000, lastEventAt: daysAgo(3) },
      { id: "s-after", fileName: "binlog.000098", startPos: 4, endPos: 900, lastEventAt: daysAgo(2) },
    ];
    const p = planRetention({ backups, retention: { keepLast: 4 }, now, segments });
    // oldest kept: b3 at binlog.000097:1000
    expect(ids(p.segmentsPrune)).toEqual(["s-before", "s-old"]);
  });

  it("another policy's older backup on the same host protects its binlogs", () => {
    const other = [{ id: "x", finishedAt: daysAgo(30), verifyState: "unverified", binlogFile: "binlog.000050", binlogPos: 4 }];
    const segments = [{ id: "s60", fileName: "binlog.000060", startPos: 4, endPos: 100, lastEventAt: daysAgo(20) }];
    const p = planRetention({ backups: nightly(3), retention: { keepLast: 1 }, now, segments, otherHostBackups: other });
    expect(p.segmentsPrune).toEqual([]);
  });
});
