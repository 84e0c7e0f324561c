import { describe, expect, it } from "vitest";
import { LagTracker } from "../../server/binlog/lag-tracker";

const F1 = "binlog.000001";
const F2 = "binlog.000002";
const T0 = 1_800_000_000_000; // ms
const sec = (ms: number) => Math.floor(ms / 1000);

describe("archive lag", () => {
  it("is unknown before the first checkpoint and 0 when the durable position is the server's", () => {
    const l = new LagTracker();
    expect(l.lagSeconds(T0)).toBeNull();
    l.onDurable({ file: F1, position: 1000 }, sec(T0));
    l.onServerPosition({ file: F1, position: 1000 }, T0);
    expect(l.lagSeconds(T0 + 5000)).toBe(0);
  });

  it("counts how long the oldest received event has waited to become durable", () => {
    const l = new LagTracker();
    l.onDurable({ file: F1, position: 1000 }, sec(T0));
    l.onReceived({ file: F1, position: 1100 }, sec(T0 + 100), T0 + 100);
    l.onReceived({ file: F1, position: 1200 }, sec(T0 + 150), T0 + 150);
    expect(l.lagSeconds(T0 + 400)).toBe(0.3);
    // the first bucket becomes durable: the next one is the oldest
    l.onReceived({ file: F1, position: 1300 }, sec(T0 + 300), T0 + 300);
    l.onDurable({ file: F1, position: 1200 }, sec(T0 + 150));
    expect(l.lagSeconds(T0 + 400)).toBe(0.1);
    l.onDurable({ file: F1, position: 1300 }, sec(T0 + 300));
    expect(l.lagSeconds(T0 + 400)).toBe(0);
  });

  it("counts events the server has but that were not received yet from when its position was seen ahead", () => {
    const l = new LagTracker();
    l.onDurable({ file: F1, position: 1000 }, sec(T0));
    l.onReceived({ file: F1, position: 1000 }, sec(T0), T0);
    l.onServerPosition({ file: F2, position: 400 }, T0 + 1000);
    l.onServerPosition({ file: F2, position: 900 }, T0 + 2000);
    expect(l.lagSeconds(T0 + 2500)).toBe(1.5);
    // received up to the server's position: what remains is the fsync
    l.onReceived({ file: F2, position: 900 }, sec(T0 + 2600), T0 + 2600);
    l.onDurable({ file: F2, position: 900 }, sec(T0 + 2600));
    expect(l.lagSeconds(T0 + 2700)).toBe(0);
  });

  it("uses event times while catching up an old backlog", () => {
    const l = new LagTracker();
    l.onDurable({ file: F1, position: 1000 }, sec(T0) - 3600);
    // a backlog written an hour ago arrives now: its events are 3600 s newer than the durable one
    l.onReceived({ file: F1, position: 50_000 }, sec(T0), T0 + 10);
    expect(l.lagSeconds(T0 + 20)).toBe(3599);
    l.onDurable({ file: F1, position: 50_000 }, sec(T0));
    expect(l.lagSeconds(T0 + 30)).toBe(0);
  });
});
