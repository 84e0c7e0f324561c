import os from "node:os";
import type { Run } from "../db/generated/client";
import { db, parseJson } from "../db/client";
import { errorMessage, isDomainError } from "../errors";
import { logger } from "../logging/logger";
import { ProgressTracker } from "./progress-tracker";
import { runKind, type RunContext } from "./run-kinds";
import { runEvents } from "./run-events";
import { appendRunLog } from "./run-log";
import { isAgentLease, runDispatcher } from "./dispatch";

export type RunnerOptions = {
  /** identifies this runner in leases */
  id?: string;
  pollMs?: number;
  leaseMs?: number;
  /** concurrent "work" runs (backup, restore, verify, prune) across all hosts */
  maxConcurrent?: number;
  /** concurrent "work" runs per host */
  maxPerHost?: number;
  /** base of the exponential retry backoff */
  retryBaseMs?: number;
};

const PROGRESS_EVERY_MS = 1000;

/**
 * The embedded runner: claims queued runs with a conditional update plus a lease it renews, executes
 * them with progress, cancellation and retries, and recovers runs whose lease expired (a crashed
 * runner), removing their partial work.
 */
export class Runner {
  /**
   * Runners living in this process (the embedded one, tests' own): cancellation reaches them
   * directly. Kept on globalThis because Next.js may load this module more than once per process.
   */
  static readonly local: Set<Runner> = ((globalThis as { __dbbackupRunners?: Set<Runner> }).__dbbackupRunners ??= new Set<Runner>());
  readonly id: string;
  private readonly opts: Required<RunnerOptions>;
  private timer: NodeJS.Timeout | null = null;
  private readonly active = new Map<string, { run: Run; abort: AbortController; done: Promise<void> }>();
  private ticking = false;
  private stopped = true;

  constructor(opts: RunnerOptions = {}) {
    this.id = opts.id ?? `${os.hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.opts = {
      id: this.id,
      pollMs: opts.pollMs ?? Number(process.env.DBBACKUP_RUNNER_POLL_MS || 1000),
      leaseMs: opts.leaseMs ?? Number(process.env.DBBACKUP_RUNNER_LEASE_MS || 30_000),
      maxConcurrent: opts.maxConcurrent ?? Number(process.env.DBBACKUP_RUNNER_CONCURRENCY || 2),
      maxPerHost: opts.maxPerHost ?? 1,
      retryBaseMs: opts.retryBaseMs ?? 5000,
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    Runner.local.add(this);
    const loop = async () => {
      if (this.stopped) return;
      await this.tick().catch((e) => logger.error({ err: errorMessage(e) }, "runner tick failed"));
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollMs);
    };
    void loop();
  }

  /** Stops claiming; running work is cancelled (as on shutdown) and the call waits for it to settle. */
  async stop(opts: { cancelRunning?: boolean } = { cancelRunning: true }) {
    this.stopped = true;
    Runner.local.delete(this);
    if (this.timer) clearTimeout(this.timer);
    if (opts.cancelRunning) for (const a of this.active.values()) a.abort.abort(new Error("runner stopping"));
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
  }

  /** Aborts a run this runner executes right now (cancellation without waiting for the heartbeat). */
  cancelLocal(runId: string): boolean {
    const a = this.active.get(runId);
    if (!a) return false;
    void appendRunLog(runId, "warn", "Cancellation requested; stopping.").catch(() => undefined);
    a.abort.abort(new CancelledError());
    return true;
  }

  get activeRunIds() {
    return [...this.active.keys()];
  }

  /** One scheduling pass: recover expired leases, then claim what the limits allow. */
  async tick() {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.recoverExpired();
      await this.claimAvailable();
    } finally {
      this.ticking = false;
    }
  }

  private async recoverExpired() {
    const expired = await db().run.findMany({ where: { state: "running", leaseExpiresAt: { lt: new Date() } } });
    for (const run of expired) {
      if (this.active.has(run.id)) continue;
      // take it over with the same conditional update as a claim, so two runners never recover one run
      const took = await db().run.updateMany({
        where: { id: run.id, state: "running", leaseExpiresAt: run.leaseExpiresAt },
        // a new fence: whoever held the run (an agent paused past its lease) can no longer write for it
        data: { leaseOwner: this.id, leaseExpiresAt: new Date(Date.now() + this.opts.leaseMs), fence: { increment: 1 } },
      });
      if (took.count !== 1) continue;
      const kind = runKind(run.kind);
      const ws = parseJson<Record<string, unknown>>(run.result, {}).workspace as Record<string, unknown> | undefined;
      let outcome: "cleaned" | "done" = "cleaned";
      try {
        if (kind?.recover) outcome = await kind.recover(run, ws ?? {});
      } catch (e) {
        await appendRunLog(run.id, "error", `recovery after a lost lease failed: ${errorMessage(e)}`);
      }
      if (outcome === "done") {
        await appendRunLog(run.id, "warn", "The runner that held this run stopped after the work was committed; marked succeeded.");
        await db().run.update({ where: { id: run.id }, data: { state: "succeeded", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null } });
        continue;
      }
      const msg = `The runner that held this run (${run.leaseOwner}) stopped without finishing (lease expired); partial work was removed.`;
      await appendRunLog(run.id, "warn", msg);
      await this.finishWithRetry(run, msg, true);
    }
  }

  private async claimAvailable() {
    if (this.stopped) return;
    const running = await db().run.findMany({ where: { state: "running" }, select: { id: true, hostId: true, kind: true, leaseOwner: true } });
    const isWork = (kind: string) => (runKind(kind)?.group ?? "work") === "work";
    // runs held by agents use the agents' capacity, not this process's
    let workRunning = running.filter((r) => isWork(r.kind) && !isAgentLease(r.leaseOwner)).length;
    const perHost = new Map<string, number>();
    for (const r of running) if (r.hostId && isWork(r.kind)) perHost.set(r.hostId, (perHost.get(r.hostId) ?? 0) + 1);
    const queued = await db().run.findMany({ where: { state: "queued", notBefore: { lte: new Date() } }, orderBy: { queuedAt: "asc" }, take: 50 });
    for (const run of queued) {
      const kind = runKind(run.kind);
      if (!kind) continue; // a kind this process does not know (e.g. registered elsewhere): leave it
      const work = (kind.group ?? "work") === "work";
      if (work && run.hostId && (perHost.get(run.hostId) ?? 0) >= this.opts.maxPerHost) continue;
      // a host bound to a runner agent: the run goes to that agent's queue instead
      const dispatcher = runDispatcher();
      if (dispatcher && (await dispatcher.dispatch(run, this.opts.leaseMs))) {
        if (work && run.hostId) perHost.set(run.hostId, (perHost.get(run.hostId) ?? 0) + 1);
        continue;
      }
      if (work && workRunning >= this.opts.maxConcurrent) continue;
      const now = new Date();
      const claimed = await db().run.updateMany({
        where: { id: run.id, state: "queued" },
        data: { state: "running", leaseOwner: this.id, leaseExpiresAt: new Date(now.getTime() + this.opts.leaseMs), startedAt: run.startedAt ?? now },
      });
      if (claimed.count !== 1) continue;
      if (work) {
        workRunning++;
        if (run.hostId) perHost.set(run.hostId, (perHost.get(run.hostId) ?? 0) + 1);
      }
      const fresh = (await db().run.findUnique({ where: { id: run.id } }))!;
      this.execute(fresh);
    }
  }

  private execute(run: Run) {
    const kind = runKind(run.kind)!;
    const abort = new AbortController();
    const tracker = new ProgressTracker();
    const began = Date.now();
    let workspace: Record<string, unknown> | undefined = parseJson<Record<string, unknown>>(run.result, {}).workspace as Record<string, unknown> | undefined;
    let lostLease = false;

    // heartbeat: renew the lease, persist progress (about once a second), notice cancellation
    const beat = async () => {
      const data: Record<string, unknown> = { leaseExpiresAt: new Date(Date.now() + this.opts.leaseMs) };
      if (tracker.dirty) data.progress = JSON.stringify(tracker.snapshot());
      const r = await db().run.updateMany({ where: { id: run.id, state: "running", leaseOwner: this.id }, data });
      if (r.count !== 1) {
        lostLease = true;
        abort.abort(new Error("lost the lease on this run (another runner recovered it)"));
        return;
      }
      const row = await db().run.findUnique({ where: { id: run.id }, select: { cancelRequested: true } });
      if (row?.cancelRequested && !abort.signal.aborted) {
        await appendRunLog(run.id, "warn", "Cancellation requested; stopping.");
        abort.abort(new CancelledError());
      }
    };
    const heart = setInterval(() => void beat().catch((e) => logger.warn({ run: run.id, err: errorMessage(e) }, "heartbeat failed")), PROGRESS_EVERY_MS);

    const ctx: RunContext = {
      run,
      params: parseJson<Record<string, unknown>>(run.params, {}),
      signal: abort.signal,
      progress: (p) => tracker.update(p),
      log: (level, message) => void appendRunLog(run.id, level, message).catch(() => undefined),
      workspace: async (w) => {
        workspace = w;
        await db().run.update({ where: { id: run.id }, data: { result: JSON.stringify({ workspace: w }) } });
      },
    };

    const done = (async () => {
      await appendRunLog(run.id, "info", `Started (attempt ${run.attempt} of ${run.maxAttempts}) on runner ${this.id}.`);
      try {
        const result = await kind.execute(ctx);
        clearInterval(heart);
        if (lostLease) return;
        if (abort.signal.aborted && abort.signal.reason instanceof CancelledError) {
          // long-lived work (archiving) ends cleanly when asked to stop: a cancellation, not a failure
          await db().run.updateMany({
            where: { id: run.id, leaseOwner: this.id },
            data: { state: "cancelled", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null, error: "Stopped by request.", progress: JSON.stringify(tracker.snapshot()), result: JSON.stringify(result ?? {}) },
          });
          await appendRunLog(run.id, "info", "Stopped by request after finishing cleanly.");
          return;
        }
        await db().run.updateMany({
          where: { id: run.id, leaseOwner: this.id },
          data: {
            state: "succeeded",
            finishedAt: new Date(),
            leaseOwner: null,
            leaseExpiresAt: null,
            error: null,
            progress: JSON.stringify(tracker.final(began)),
            result: JSON.stringify(result ?? {}),
          },
        });
        await appendRunLog(run.id, "info", "Succeeded.");
      } catch (e) {
        clearInterval(heart);
        if (lostLease) return;
        const cancelled = abort.signal.aborted && abort.signal.reason instanceof CancelledError;
        // remove partial work before the final state is written: nothing half-done outlives a run
        if (kind.recover && workspace) {
          try {
            await kind.recover(run, workspace);
          } catch (ce) {
            await appendRunLog(run.id, "error", `Could not remove partial work: ${errorMessage(ce)}`);
          }
        }
        await db().run.updateMany({ where: { id: run.id, leaseOwner: this.id }, data: { progress: JSON.stringify(tracker.snapshot()) } });
        if (cancelled) {
          await db().run.updateMany({
            where: { id: run.id, leaseOwner: this.id },
            data: { state: "cancelled", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null, error: "Cancelled by request; partial objects were removed." },
          });
          await appendRunLog(run.id, "warn", "Cancelled; partial objects removed.");
          return;
        }
        const stopping = abort.signal.aborted && !cancelled;
        const msg = stopping ? `Interrupted: the server is shutting down (${errorMessage(abort.signal.reason)}).` : errorMessage(e);
        await appendRunLog(run.id, "error", msg);
        await this.finishWithRetry(run, msg, stopping || (isDomainError(e) && e.retryable));
      } finally {
        this.active.delete(run.id);
        await this.emitIfFinal(run.id);
      }
    })();
    this.active.set(run.id, { run, abort, done });
  }

  private emitIfFinal(runId: string) {
    return emitIfFinal(runId);
  }

  private finishWithRetry(run: Run, message: string, retryable: boolean) {
    return finishWithRetry(run, message, retryable, this.opts.retryBaseMs);
  }
}

/** Fails a run, or requeues it with exponential backoff when retryable and attempts remain. */
export async function finishWithRetry(run: Run, message: string, retryable: boolean, retryBaseMs = 5000) {
  if (retryable && run.attempt < run.maxAttempts) {
    const delay = Math.min(retryBaseMs * 2 ** (run.attempt - 1), 5 * 60_000);
    await db().run.update({
      where: { id: run.id },
      data: { state: "queued", attempt: run.attempt + 1, notBefore: new Date(Date.now() + delay), leaseOwner: null, leaseExpiresAt: null, error: message },
    });
    await appendRunLog(run.id, "warn", `Will retry in ${Math.round(delay / 1000)} s (attempt ${run.attempt + 1} of ${run.maxAttempts}).`);
    return;
  }
  await db().run.update({ where: { id: run.id }, data: { state: "failed", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null, error: message } });
}

/** Emits "finished" for a run that reached a final state (notifications, pruning listen). */
export async function emitIfFinal(runId: string) {
  const r = await db().run.findUnique({ where: { id: runId } }).catch(() => null);
  if (r && ["succeeded", "failed", "cancelled"].includes(r.state)) {
    try {
      runEvents.emit("finished", r);
    } catch (e) {
      logger.warn({ run: runId, err: errorMessage(e) }, "a run-finished listener failed");
    }
  }
}

export class CancelledError extends Error {
  constructor() {
    super("cancelled by request");
    this.name = "CancelledError";
  }
}
