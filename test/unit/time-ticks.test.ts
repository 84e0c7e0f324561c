import { describe, expect, it } from "vitest";
import { fitRange, labelAnchor, tickStep, timeTicks } from "@/components/charts/time-ticks";

const utc = { tzOffsetMinutes: 0, timeZone: "UTC", locale: "en-GB" };
const at = (iso: string) => Date.parse(iso);

describe("time axis ticks", () => {
  it("picks a step for the zoom level: seconds, minutes, hours, days", () => {
    expect(tickStep(0, 40_000)).toBe(10_000);
    expect(tickStep(0, 5 * 60_000)).toBe(60_000);
    expect(tickStep(0, 3 * 3600_000)).toBe(30 * 60_000);
    expect(tickStep(0, 5 * 86400_000)).toBe(86400_000);
  });

  it("gives distinct labels on a range of a few minutes (no three '10:13' in a row)", () => {
    const ticks = timeTicks(at("2026-12-02T10:13:05Z"), at("2026-12-02T10:15:40Z"), utc);
    const labels = ticks.map((t) => t.label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels.length).toBeGreaterThanOrEqual(3);
    expect(labels).toEqual(["10:13:30", "10:14:00", "10:14:30", "10:15:00", "10:15:30"]);
  });

  it("puts ticks on whole steps inside the range", () => {
    const t0 = at("2026-12-02T10:07:00Z");
    const t1 = at("2026-12-02T13:52:00Z");
    const ticks = timeTicks(t0, t1, utc);
    for (const k of ticks) {
      expect(k.t).toBeGreaterThanOrEqual(t0);
      expect(k.t).toBeLessThanOrEqual(t1);
      expect(k.t % 3600_000).toBe(0);
    }
    expect(ticks.map((k) => k.label)).toEqual(["11:00", "12:00", "13:00"]);
  });

  it("labels the date when the range crosses midnight or spans days", () => {
    const night = timeTicks(at("2026-12-01T22:00:00Z"), at("2026-12-02T03:00:00Z"), utc).map((t) => t.label);
    expect(night.some((l) => l.includes("Dec"))).toBe(true);
    expect(new Set(night).size).toBe(night.length);
    const week = timeTicks(at("2026-11-25T00:00:00Z"), at("2026-12-02T00:00:00Z"), utc).map((t) => t.label);
    expect(week).toContain("1 Dec");
    expect(new Set(week).size).toBe(week.length);
  });

  it("aligns day ticks on local midnight", () => {
    const ticks = timeTicks(at("2026-11-25T12:00:00Z"), at("2026-12-02T12:00:00Z"), { tzOffsetMinutes: -60, timeZone: "Europe/Paris", locale: "en-GB" });
    expect(new Date(ticks[0]!.t).toISOString()).toBe("2026-11-25T23:00:00.000Z");
  });

  it("keeps edge labels inside the chart", () => {
    expect(labelAnchor(12, 10, 990)).toEqual({ x: 12, anchor: "start" });
    expect(labelAnchor(985, 10, 990)).toEqual({ x: 985, anchor: "end" });
    expect(labelAnchor(500, 10, 990).anchor).toBe("middle");
  });

  it("fits the default range to the data with padding, not to a fixed window", () => {
    const [a, b] = fitRange([at("2026-12-02T10:13:00Z"), at("2026-12-02T10:14:00Z")]);
    expect(a).toBeLessThan(at("2026-12-02T10:13:00Z"));
    expect(b).toBeGreaterThan(at("2026-12-02T10:14:00Z"));
    expect(b - a).toBeLessThan(2 * 60_000);
    const [c, d] = fitRange([at("2026-12-02T10:13:00Z")]);
    expect(d - c).toBeGreaterThanOrEqual(30_000);
  });
});
