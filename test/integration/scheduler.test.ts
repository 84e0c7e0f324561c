import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db/client";
import { createPolicy } from "../../server/policies/manage-policies";
import { schedulePolicies } from "../../server/policies/scheduler";
import { callerAs, makeUser, useTempCatalog } from "../helpers/catalog";

useTempCatalog();
const actor = { system: "test" };
let hostId: string;
let targetId: string;

beforeAll(async () => {
  hostId = (await db().host.create({ data: { id: "h-sched", name: "sched", user: "root" } })).id;
  targetId = (await db().storageTarget.create({ data: { id: "s-sched", name: "t", kind: "local", path: "/tmp/x" } })).id;
});

const base = (name: string, schedule: string, timezone = "UTC") => ({
  name, hostId, targetId, engine: "logical", databases: [], excludeTables: [], schedule, timezone, compression: "zstd" as const,
  compressionLevel: 3, retention: { keepLast: 3 }, binlogArchiving: false, enabled: true, verifySchedule: null,
});

describe("scheduler", () => {
  it("creates exactly one run per due time, across restarts and concurrent passes", async () => {
    const p = await createPolicy({ input: base("hourly", "0 * * * *"), actor });
    const t0 = new Date("2026-11-24T10:00:30Z");
    await db().policy.update({ where: { id: p.id }, data: { lastScheduledFor: new Date("2026-11-24T09:30:00Z") } });
    // two passes at once (two processes, or a restart racing the old one)
    await Promise.all([schedulePolicies(t0), schedulePolicies(t0)]);
    // and again later the same minute, as after a restart
    await schedulePolicies(new Date("2026-11-24T10:00:50Z"));
    const runs = await db().run.findMany({ where: { policyId: p.id, kind: "backup" } });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.idempotencyKey).toBe(`policy:${p.id}:backup:2026-11-24T10:00:00.000Z`);
    expect(JSON.parse(runs[0]!.params).scheduledFor).toBe("2026-11-24T10:00:00.000Z");
  });

  it("after downtime, missed due times run once, not N times, and the log says so", async () => {
    const p = await createPolicy({ input: base("every-5", "*/5 * * * *"), actor });
    await db().policy.update({ where: { id: p.id }, data: { lastScheduledFor: new Date("2026-11-24T00:00:00Z") } });
    await schedulePolicies(new Date("2026-11-24T01:02:00Z")); // 12 due times missed
    const runs = await db().run.findMany({ where: { policyId: p.id } });
    expect(runs).toHaveLength(1);
    expect(JSON.parse(runs[0]!.params).scheduledFor).toBe("2026-11-24T01:00:00.000Z");
    const logs = await db().runLog.findMany({ where: { runId: runs[0]!.id } });
    expect(logs.map((l) => l.message).join("\n")).toMatch(/12 scheduled times were missed/);
  });

  it("skips a due time while the previous run is still going, and records the skip", async () => {
    const p = await createPolicy({ input: base("busy", "*/10 * * * *"), actor });
    await db().policy.update({ where: { id: p.id }, data: { lastScheduledFor: new Date("2026-11-24T00:00:00Z") } });
    await schedulePolicies(new Date("2026-11-24T00:10:05Z"));
    const first = (await db().run.findFirst({ where: { policyId: p.id } }))!;
    await db().run.update({ where: { id: first.id }, data: { state: "running" } });
    await schedulePolicies(new Date("2026-11-24T00:20:05Z"));
    const skipped = await db().run.findFirst({ where: { policyId: p.id, id: { not: first.id } } });
    expect(skipped?.state).toBe("cancelled");
    expect(skipped?.error).toMatch(new RegExp(`Skipped: the previous backup run of policy busy \\(${first.id}\\) is still running`));
    expect(await db().run.count({ where: { policyId: p.id, state: "queued" } })).toBe(0);
  });

  it("honours the policy's time zone", async () => {
    const p = await createPolicy({ input: base("berlin-3am", "0 3 * * *", "Europe/Berlin"), actor });
    await db().policy.update({ where: { id: p.id }, data: { lastScheduledFor: new Date("2026-11-24T00:00:00Z") } });
    expect(await schedulePolicies(new Date("2026-11-24T01:59:00Z"))).toEqual([]);
    const created = await schedulePolicies(new Date("2026-11-24T02:00:10Z")); // 03:00 CET
    expect(created).toHaveLength(1);
  });

  it("refuses invalid cron expressions and time zones on the field", async () => {
    await expect(createPolicy({ input: base("bad", "every day"), actor })).rejects.toMatchObject({ field: "schedule" });
    await expect(createPolicy({ input: base("bad2", "0 3 * * *", "Mars/Olympus"), actor })).rejects.toMatchObject({ field: "timezone" });
  });
});

describe("policy Run now and Prune", () => {
  it("Run now queues the same backup the schedule would, as the operator, with an audit event", async () => {
    const op = await makeUser("operator");
    const p = await createPolicy({ input: { ...base("manual", "0 3 * * *"), databases: ["shop"], excludeTables: ["shop.big"], compressionLevel: 7 }, actor });
    const run = await callerAs(op).policies.runNow({ id: p.id });
    const row = (await db().run.findUnique({ where: { id: run.id } }))!;
    expect(row).toMatchObject({ kind: "backup", policyId: p.id, hostId, createdById: op.id, state: "queued" });
    expect(JSON.parse(row.params)).toMatchObject({ hostId, targetId, engine: "logical", databases: ["shop"], excludeTables: ["shop.big"], compression: "zstd", level: 7, parallel: 4 });
    // the scheduler builds the same backup for the same policy (once the manual run has ended)
    await db().run.update({ where: { id: run.id }, data: { state: "succeeded", finishedAt: new Date() } });
    await db().policy.update({ where: { id: p.id }, data: { lastScheduledFor: new Date("2026-11-24T02:00:00Z") } });
    await schedulePolicies(new Date("2026-11-24T03:00:10Z"));
    const scheduled = (await db().run.findFirst({ where: { policyId: p.id, id: { not: run.id } } }))!;
    const { scheduledFor, ...same } = JSON.parse(scheduled.params);
    expect(scheduledFor).toBe("2026-11-24T03:00:00.000Z");
    expect(same).toMatchObject({ hostId, targetId, engine: "logical", databases: ["shop"], excludeTables: ["shop.big"], compression: "zstd", level: 7, parallel: 4 });
    expect(await db().auditEvent.count({ where: { action: "backup.start", actorId: op.id } })).toBe(1);
  });

  it("Prune queues a one-attempt prune run and records who asked", async () => {
    const op = await makeUser("operator");
    const p = await createPolicy({ input: base("prune-me", "0 4 * * *"), actor });
    const run = await callerAs(op).policies.prune({ id: p.id, dryRun: true });
    const row = (await db().run.findUnique({ where: { id: run.id } }))!;
    expect(row).toMatchObject({ kind: "prune", policyId: p.id, createdById: op.id, maxAttempts: 1 });
    expect(JSON.parse(row.params)).toEqual({ policyId: p.id, dryRun: true });
    expect(await db().auditEvent.count({ where: { action: "retention.start", actorId: op.id } })).toBe(1);
    await expect(callerAs(op).policies.prune({ id: "nope", dryRun: false })).rejects.toThrow(/does not exist/);
  });
});
