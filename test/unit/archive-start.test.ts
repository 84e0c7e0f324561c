import { describe, expect, it } from "vitest";
import { coveringStart, oldestNeededBackup, type CoverBackup } from "../../server/archive-runs/archive-start";

const now = new Date("2026-11-20T12:00:00Z");
const daysAgo = (d: number) => new Date(now.getTime() - d * 86400000);
const b = (id: string, ago: number, file: string | null, pos: number | null, policyId: string | null = "p"): CoverBackup => ({ id, policyId, finishedAt: daysAgo(ago), verifyState: "none", binlogFile: file, binlogPos: pos });

describe("oldestNeededBackup", () => {
  it("with a PITR window: the base backup retention keeps before the window", () => {
    const backups = [b("b10", 10, "binlog.000001", 500), b("b5", 5, "binlog.000004", 100), b("b2", 2, "binlog.000007", 300), b("b1", 1, "binlog.000009", 4)];
    const need = oldestNeededBackup({ now, backups, policies: [{ id: "p", retention: { keepLast: 1, pitrDays: 3 } }] });
    // b5 is the newest backup before the 3-day window: retention keeps it as the window's base; b10 is pruned
    expect(need).toMatchObject({ backupId: "b5", at: { file: "binlog.000004", position: 100 } });
    expect(need!.reason).toMatch(/point-in-time recovery of the last 3 days/);
  });

  it("with a PITR window and no backup before it: the oldest kept backup inside it", () => {
    const backups = [b("b2", 2, "binlog.000007", 300), b("b1", 1, "binlog.000009", 4), b("b0", 0.5, "binlog.000010", 4)];
    expect(oldestNeededBackup({ now, backups, policies: [{ id: "p", retention: { keepLast: 2, pitrDays: 7 } }] })).toMatchObject({ backupId: "b1" });
    expect(oldestNeededBackup({ now, backups, policies: [{ id: "p", retention: { keepLast: 5, pitrDays: 7 } }] })).toMatchObject({ backupId: "b2" });
  });

  it("without a PITR window: the newest backup; backups without coordinates never count", () => {
    const backups = [b("old", 3, "binlog.000002", 9), b("new", 1, "binlog.000005", 77), b("nolog", 0.1, null, null)];
    expect(oldestNeededBackup({ now, backups, policies: [{ id: "p", retention: { keepLast: 7 } }] })).toMatchObject({ backupId: "new", at: { file: "binlog.000005", position: 77 } });
    expect(oldestNeededBackup({ now, backups: [b("nolog", 1, null, null)], policies: [] })).toBeNull();
  });

  it("the earliest need over every policy of the host and its newest backup", () => {
    const backups = [b("a", 4, "binlog.000003", 10, "pa"), b("m", 0.2, "binlog.000008", 10, null), b("x", 6, "binlog.000002", 10, "pb"), b("y", 0.5, "binlog.000006", 10, "pb")];
    const need = oldestNeededBackup({ now, backups, policies: [{ id: "pa", retention: { keepLast: 1 } }, { id: "pb", retention: { keepLast: 1 } }] });
    expect(need).toMatchObject({ backupId: "a" });
  });
});

describe("coveringStart", () => {
  const need = { backupId: "b5", at: { file: "binlog.000004", position: 100 }, reason: "r" };
  it("starts at the start of the backup's binlog file while the server has it", () => {
    expect(coveringStart(need, ["binlog.000003", "binlog.000004", "binlog.000005"], { file: "binlog.000005", position: 9 }).start).toEqual({ file: "binlog.000004", position: 4 });
  });
  it("falls back to the oldest binlog when the file is purged, and says the backup cannot be covered", () => {
    const r = coveringStart(need, ["binlog.000006", "binlog.000007"], { file: "binlog.000007", position: 9 });
    expect(r.start).toBe("oldest");
    expect(r.why).toMatch(/no longer has binlog\.000004.*cannot cover it.*binlog\.000006/);
  });
  it("without backups: the start of the current file", () => {
    expect(coveringStart(null, ["binlog.000006", "binlog.000007"], { file: "binlog.000007", position: 9 }).start).toEqual({ file: "binlog.000007", position: 4 });
  });
});
