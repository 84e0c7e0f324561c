import { describe, expect, it } from "vitest";
import { planRetention, type RetainedBackup } from "../../server/retention/plan";

const now = new Date("2026-11-23T12:00:00Z");
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600000);
const b = (id: string, h: number, parentId: string | null = null): RetainedBackup => ({ id, finishedAt: hoursAgo(h), verifyState: "unverified", binlogFile: "binlog.000001", binlogPos: 1000 + 100 * (100 - h), parentId });
const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();

describe("retention keeps backup chains whole", () => {
  // full F1 -> i1 -> i2 -> i3, then a new chain F2 -> i4, d5 (differential of F2)
  const chain = [b("F1", 10), b("i1", 9, "F1"), b("i2", 8, "i1"), b("i3", 7, "i2"), b("F2", 6), b("i4", 5, "F2"), b("d5", 4, "F2")];

  it("a kept incremental keeps every earlier link of its chain, and only those", () => {
    const p = planRetention({ backups: chain, retention: { keepLast: 5 }, now });
    // the last 5 are d5, i4, F2, i3, i2: i2 and i3 need i1 and F1
    expect(ids(p.keep)).toEqual(["F1", "F2", "d5", "i1", "i2", "i3", "i4"]);
    expect(p.keep.find((k) => k.id === "F1")!.reasons.join(" ")).toMatch(/chain of kept backup i(2|3)/);
    expect(p.prune).toEqual([]);
  });

  it("a whole chain no kept backup needs goes, links and all", () => {
    const p = planRetention({ backups: chain, retention: { keepLast: 2 }, now });
    expect(ids(p.keep)).toEqual(["F2", "d5", "i4"]);
    expect(ids(p.prune)).toEqual(["F1", "i1", "i2", "i3"]);
  });

  it("a full of this policy that another policy's kept incrementals are taken against is kept", () => {
    const fulls = [b("F1", 30), b("F2", 20)];
    const others = [b("h1", 19, "F2"), b("h2", 18, "h1")];
    const p = planRetention({ backups: fulls, otherHostBackups: others, retention: { keepLast: 1 }, now });
    expect(ids(p.keep)).toEqual(["F2"]);
    const p2 = planRetention({ backups: fulls, otherHostBackups: [b("h0", 29, "F1")], retention: { keepLast: 1 }, now });
    expect(ids(p2.keep)).toEqual(["F1", "F2"]);
    expect(p2.keep.find((k) => k.id === "F1")!.reasons).toEqual(["a link of the chain of kept backup h0"]);
  });

  it("the point-in-time base, when it is an incremental, keeps its chain", () => {
    const p = planRetention({ backups: chain, retention: { keepLast: 1, pitrDays: 0.3 }, now });
    // the window starts 7.2 h ago: its base is i3 (7 h ago is inside; the newest before the start is i2 at 8 h)
    expect(ids(p.keep)).toEqual(["F1", "d5", "F2", "i1", "i2"].sort());
  });
});
