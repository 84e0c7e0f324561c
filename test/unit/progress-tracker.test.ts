import { describe, expect, it } from "vitest";
import { ProgressTracker } from "@/server/runner/progress-tracker";

describe("a run's final progress", () => {
  it("replaces estimated totals by what was done and reports the average throughput", () => {
    const t = new ProgressTracker();
    const start = 1_000_000;
    t.update({ phase: "dumping", bytesDone: 321_000, bytesTotal: 1_600_000, rowsDone: 900, rowsTotal: 1200, tablesDone: 3, tablesTotal: 4 });
    t.snapshot(start + 500);
    t.update({ bytesDone: 2_000_000, rowsDone: 1000, tablesDone: 4 });
    const f = t.final(start, start + 4000);
    expect(f.phase).toBe("done");
    expect([f.bytesDone, f.bytesTotal]).toEqual([2_000_000, 2_000_000]);
    expect([f.rowsDone, f.rowsTotal]).toEqual([1000, 1000]);
    expect([f.tablesDone, f.tablesTotal]).toEqual([4, 4]);
    expect(f.averageRate).toBe(500_000);
    expect(f.rate).toBe(500_000);
    expect(f.etaSeconds).toBeUndefined();
  });

  it("leaves totals unset when the run never reported any", () => {
    const t = new ProgressTracker();
    t.update({ phase: "replaying" });
    const f = t.final(0, 1000);
    expect(f.bytesTotal).toBeUndefined();
    expect(f.averageRate).toBeUndefined();
  });
});
