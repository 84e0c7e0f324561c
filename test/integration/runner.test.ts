import { afterEach, describe, expect, it } from "vitest";
import { db } from "../../server/db/client";
import { DomainError } from "../../server/errors";
import { registerRunKind } from "../../server/runner/run-kinds";
import { Runner } from "../../server/runner/runner";
import { cancelRun } from "../../server/runner/cancel-run";
import { enqueueRun } from "../../server/runner/enqueue-run";
import { useTempCatalog } from "../helpers/catalog";

useTempCatalog();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms = 15000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(50);
  }
}
const state = (id: string) => db().run.findUniqueOrThrow({ where: { id } });

// Run kinds that exercise the runner itself: their work is a loop with progress, cancellation and
// failure modes, and they record what cleanup ran.
const executions = new Map<string, number>();
const cleaned: string[] = [];
registerRunKind<{ ms: number; failTimes?: number; retryable?: boolean }>({
  kind: "test-work",
  async execute(ctx) {
    executions.set(ctx.run.id, (executions.get(ctx.run.id) ?? 0) + 1);
    await ctx.workspace({ tag: ctx.run.id });
    const steps = Math.max(1, Math.round(ctx.params.ms / 20));
    for (let i = 0; i < steps; i++) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.progress({ phase: "working", bytesDone: i * 1000, bytesTotal: steps * 1000 });
      await sleep(20);
    }
    if ((ctx.params.failTimes ?? 0) >= ctx.run.attempt) throw new DomainError("UNAVAILABLE", `attempt ${ctx.run.attempt} failed`, { retryable: ctx.params.retryable ?? true });
    return { steps };
  },
  async recover(run, ws) {
    cleaned.push(`${run.id}:${String(ws.tag)}`);
    return "cleaned";
  },
});

const runners: Runner[] = [];
function runner(opts: ConstructorParameters<typeof Runner>[0] = {}) {
  const r = new Runner({ pollMs: 30, leaseMs: 2000, retryBaseMs: 100, ...opts });
  runners.push(r);
  return r;
}
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
});

describe("runner", () => {
  it("runs a queued run to success with progress, exactly once across two competing runners", async () => {
    const runs = await Promise.all(Array.from({ length: 6 }, () => enqueueRun({ kind: "test-work", params: { ms: 100 } })));
    const a = runner({ maxConcurrent: 3 });
    const b = runner({ maxConcurrent: 3 });
    a.start();
    b.start();
    for (const r of runs) await waitFor(async () => (await state(r.id)).state === "succeeded");
    for (const r of runs) expect(executions.get(r.id)).toBe(1);
    const one = await state(runs[0]!.id);
    expect(JSON.parse(one.progress).phase).toBe("done");
    expect(JSON.parse(one.result!).steps).toBe(5);
    expect(one.leaseOwner).toBeNull();
    const logs = await db().runLog.findMany({ where: { runId: one.id } });
    expect(logs.map((l) => l.message).join("\n")).toMatch(/Started \(attempt 1 of 3\)[\s\S]*Succeeded/);
  });

  it("keeps to the per-host limit", async () => {
    const host = await db().host.create({ data: { id: "host-limit", name: "limit", user: "u" } });
    const runs = await Promise.all(Array.from({ length: 3 }, () => enqueueRun({ kind: "test-work", hostId: host.id, params: { ms: 300 } })));
    const r = runner({ maxConcurrent: 5, maxPerHost: 1 });
    r.start();
    let maxSeen = 0;
    while ((await db().run.count({ where: { id: { in: runs.map((x) => x.id) }, state: "succeeded" } })) < 3) {
      maxSeen = Math.max(maxSeen, await db().run.count({ where: { hostId: host.id, state: "running" } }));
      await sleep(20);
    }
    expect(maxSeen).toBe(1);
  });

  it("retries a retryable failure with backoff, then succeeds; a non-retryable one fails at once", async () => {
    const flaky = await enqueueRun({ kind: "test-work", params: { ms: 20, failTimes: 2 } });
    const fatal = await enqueueRun({ kind: "test-work", params: { ms: 20, failTimes: 1, retryable: false } });
    runner().start();
    const ok = await waitFor(async () => ((await state(flaky.id)).state === "succeeded" ? state(flaky.id) : null));
    expect(ok.attempt).toBe(3);
    const logs = (await db().runLog.findMany({ where: { runId: flaky.id } })).map((l) => l.message).join("\n");
    expect(logs).toMatch(/Will retry in \d+ s \(attempt 2 of 3\)/);
    const failed = await waitFor(async () => ((await state(fatal.id)).state === "failed" ? state(fatal.id) : null));
    expect(failed.attempt).toBe(1);
    expect(failed.error).toBe("attempt 1 failed");
    expect(cleaned).toContain(`${fatal.id}:${fatal.id}`);
  });

  it("cancels a running run promptly and cleans its partial work; a queued run is cancelled at once", async () => {
    const long = await enqueueRun({ kind: "test-work", params: { ms: 20000 } });
    const r = runner({ maxConcurrent: 1 });
    r.start();
    await waitFor(async () => (await state(long.id)).state === "running");
    const queued = await enqueueRun({ kind: "test-work", params: { ms: 20 }, notBefore: new Date(Date.now() + 60_000) });
    const actor = { system: "test" };
    expect((await cancelRun({ runId: queued.id, actor })).state).toBe("cancelled");
    const t0 = Date.now();
    await cancelRun({ runId: long.id, actor });
    await waitFor(async () => (await state(long.id)).state === "cancelled");
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(cleaned).toContain(`${long.id}:${long.id}`);
    await expect(cancelRun({ runId: long.id, actor })).rejects.toThrow(/already ended/);
  });

  it("recovers a run whose runner died (lease expired): cleans partial work and retries it", async () => {
    // a run claimed by a runner that no longer exists
    const run = await enqueueRun({ kind: "test-work", params: { ms: 20 } });
    await db().run.update({
      where: { id: run.id },
      data: { state: "running", leaseOwner: "dead-runner", leaseExpiresAt: new Date(Date.now() - 1000), result: JSON.stringify({ workspace: { tag: "left-behind" } }) },
    });
    runner().start();
    const done = await waitFor(async () => ((await state(run.id)).state === "succeeded" ? state(run.id) : null));
    expect(done.attempt).toBe(2);
    expect(cleaned).toContain(`${run.id}:left-behind`);
    const logs = (await db().runLog.findMany({ where: { runId: run.id } })).map((l) => l.message).join("\n");
    expect(logs).toMatch(/dead-runner\) stopped without finishing/);
  });

  it("an idempotency key never creates a second run", async () => {
    const a = await enqueueRun({ kind: "test-work", params: { ms: 1 }, idempotencyKey: "policy:x:2026-11-24T03:00Z" });
    const b = await enqueueRun({ kind: "test-work", params: { ms: 1 }, idempotencyKey: "policy:x:2026-11-24T03:00Z" });
    expect(b.id).toBe(a.id);
    expect(await db().run.count({ where: { idempotencyKey: "policy:x:2026-11-24T03:00Z" } })).toBe(1);
  });
});
