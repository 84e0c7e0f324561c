import { describe, expect, it } from "vitest";
import { buildCoverage, type CoverageSegment } from "../../server/pitr/coverage";
import { parseTarget, planPitr, type PlanBackup } from "../../server/pitr/plan";

const t = (min: number) => new Date(Date.UTC(2026, 10, 20, 3, min));
let n = 0;
function seg(file: number, start: number, end: number, fromMin: number, toMin: number, extra: Partial<CoverageSegment> = {}): CoverageSegment {
  return {
    id: `s${++n}`,
    file: `binlog.${String(file).padStart(6, "0")}`,
    startPosition: start,
    endPosition: end,
    firstEventAt: t(fromMin),
    lastEventAt: t(toMin),
    gtidFirst: null,
    gtidLast: null,
    gtidStateEnd: `0-1-${toMin * 10}`,
    endedBy: "rotate",
    fileComplete: true,
    serverIds: [1],
    size: end - start,
    ...extra,
  };
}
const backup = (id: string, min: number, file: number, pos: number): PlanBackup => ({
  id, consistentAt: t(min), file: `binlog.${String(file).padStart(6, "0")}`, position: pos, gtid: `0-1-${min * 10}`, engine: "logical", sizeBytes: 1000, verifyState: "unverified",
});

describe("binlog coverage", () => {
  it("joins segments of a file and rotated files; splits on gaps with the cause", () => {
    const segs = [
      seg(1, 4, 500, 0, 10, { endedBy: "shutdown", fileComplete: false }),
      seg(1, 500, 900, 10, 20), // resumed at the checkpoint, then rotated
      seg(2, 4, 700, 20, 30, { endedBy: "file-change", fileComplete: false }), // server crashed: next file follows
      seg(3, 4, 800, 31, 40, { endedBy: "shutdown", fileComplete: false }),
      seg(6, 4, 300, 60, 70), // 000003's rest, 000004 and 000005 were purged before archiving
    ];
    const { ranges, gaps } = buildCoverage(segs);
    expect(ranges).toHaveLength(2);
    expect(ranges[0]!.segments).toHaveLength(4);
    expect(ranges[0]!.to).toEqual(t(40));
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.cause).toMatch(/archiver was not running while the rest of binlog\.000003 and 2 later file\(s\) were written, and they were purged/);
  });

  it("names a server change and a missing stretch inside a file", () => {
    const a = buildCoverage([seg(1, 4, 500, 0, 10), seg(2, 4, 500, 11, 12, { serverIds: [7] })]);
    expect(a.gaps[0]!.cause).toMatch(/server id changed from 1 to 7/);
    const b = buildCoverage([seg(1, 4, 500, 0, 10, { endedBy: "shutdown", fileComplete: false }), seg(1, 800, 900, 12, 13)]);
    expect(b.gaps[0]!.cause).toMatch(/binlog\.000001:500 to binlog\.000001:800 were not archived/);
  });
});

describe("PITR planner", () => {
  const segs = [seg(1, 4, 1000, 0, 30), seg(2, 4, 1000, 30, 60, { endedBy: "shutdown", fileComplete: false }), seg(4, 4, 1000, 90, 120)];
  const backups = [backup("b-early", 5, 1, 300), backup("b-mid", 40, 2, 500), backup("b-late", 100, 4, 400)];

  it("picks the newest backup before the target that connects, and lists the segments", () => {
    const p = planPitr({ target: { time: t(55) }, backups, segments: segs });
    expect(p.backup.id).toBe("b-mid");
    expect(p.from).toEqual({ file: "binlog.000002", position: 500 });
    expect(p.segments.map((s) => s.file)).toEqual(["binlog.000002"]);
    expect(p.skipped.map((s) => s.id)).toEqual(["b-late"]);
    expect(p.summary).toMatch(/replay 1 archived binlog segment\(s\) from binlog\.000002:500/);
  });

  it("a target in a gap is refused with the gap's cause", () => {
    expect(() => planPitr({ target: { time: t(75) }, backups, segments: segs })).toThrow(/No backup connects to 2026-11-20T04:15:00\.000Z.*gap after binlog\.000002:1000: the archiver was not running.*Take a new full backup/);
  });

  it("after the gap, the next backup serves; before every backup nothing does", () => {
    expect(planPitr({ target: { time: t(110) }, backups, segments: segs }).backup.id).toBe("b-late");
    expect(() => planPitr({ target: { time: t(1) }, backups, segments: segs })).toThrow(/No backup is older than/);
  });

  it("plans to a GTID and to a position", () => {
    const g = planPitr({ target: parseTarget({ untilGtid: "0-1-250" }), backups, segments: segs });
    expect(g.backup.id).toBe("b-early");
    expect(g.segments.map((s) => s.file)).toEqual(["binlog.000001"]);
    const p = planPitr({ target: parseTarget({ untilPosition: "binlog.000002:800" }), backups, segments: segs });
    expect(p.backup.id).toBe("b-mid");
  });

  it("rejects malformed targets on the field", () => {
    expect(() => parseTarget({ until: "yesterday-ish" })).toThrow(/not a time/);
    expect(() => parseTarget({ untilGtid: "abc" })).toThrow(/not a GTID/);
    expect(() => parseTarget({ untilPosition: "binlog" })).toThrow(/FILE:POS/);
  });
});
