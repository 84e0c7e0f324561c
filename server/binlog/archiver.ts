import crypto from "node:crypto";
import fsp from "node:fs/promises";
import type mysql from "mysql2/promise";
import type { WorkContext } from "../work-context";
import { DomainError, errorMessage, isDomainError } from "../errors";
import { connectServer } from "../mysql/connect";
import { describeAddress } from "../mysql/connection-options";
import { explainFsError } from "../storage/local-store";
import { readState, type PersistedState } from "./archive-state";
import { ArchiveWriter } from "./archive-writer";
import type { ArchiverOptions, ArchiverState, ArchiverStatus, Checkpoint } from "./archiver-types";
import { LagTracker } from "./lag-tracker";
import { ReplicaSession, replicaWithServerId, type DumpFrom } from "./replica-session";
import { DEFAULT_SERVER_ID, explainReplicationError, serverIdConflictError } from "./replication-errors";
import { SegmentFile } from "./segment-file";
import { normalizeStorePrefix } from "./segment-naming";
import { SegmentShipper } from "./segment-shipper";
import { currentBinlogPosition } from "./server-status";
import { resolveStart } from "./start-position";

/** Pause reading from the server when this much is received but not yet written. */
const QUEUE_HIGH = 32 << 20;
const QUEUE_LOW = 8 << 20;
/** How soon after the last queued event is written the archive is fsynced (keeps lag near zero when idle). */
const IDLE_SYNC_MS = 50;
/** Consecutive disconnects while another replica holds our server id before we call it a conflict. */
const CONFLICT_STRIKES = 3;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function describeFrom(f: DumpFrom): string {
  return "gtid" in f ? `GTID ${f.gtid}` : `${f.file}:${f.position}`;
}

/**
 * Archives the server's binlog continuously as a replica would: runs until ctx.signal aborts (then
 * closes the open segment, ships it as a partial segment and returns) or a failure a reconnect cannot
 * fix. Disconnects, server restarts and KILLs are retried with backoff from the exact last position.
 * With a state file in opts.dir it resumes from its checkpoint and ignores opts.start.
 */
export async function runArchiver(ctx: WorkContext, opts: ArchiverOptions): Promise<{ stoppedAt: Checkpoint }> {
  return new Archiver(ctx, opts).run();
}

class Archiver {
  private readonly serverId: number;
  private readonly heartbeatSeconds: number;
  private readonly where: string;
  private readonly lag = new LagTracker();
  private writer!: ArchiveWriter;
  private shipper!: SegmentShipper;
  private session: ReplicaSession | null = null;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private paused = false;
  private fatal: unknown = null;
  private dropping = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private phase: ArchiverState = "connecting";
  private reconnects = 0;
  private lastError: string | null = null;
  private pollConn: mysql.Connection | null = null;

  constructor(
    private readonly ctx: WorkContext,
    private readonly o: ArchiverOptions,
  ) {
    this.serverId = o.serverId ?? DEFAULT_SERVER_ID;
    this.heartbeatSeconds = o.heartbeatSeconds ?? 5;
    this.where = describeAddress(o.server);
    if (!Number.isInteger(this.serverId) || this.serverId < 1 || this.serverId > 0xffffffff) throw new DomainError("INVALID", `--server-id must be an integer from 1 to 4294967295 (got ${this.serverId}).`, { field: "serverId" });
  }

  async run(): Promise<{ stoppedAt: Checkpoint }> {
    const { dir } = this.o;
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (e) {
      throw explainFsError(e, dir);
    }
    this.writer = await this.openWriter();
    this.shipper = new SegmentShipper({
      dir,
      target: { store: this.o.store, prefix: normalizeStorePrefix(this.o.storePrefix), compress: !!this.o.compress },
      flavor: () => this.writer.state.flavor ?? "mariadb",
      pending: () => this.writer.state.pending,
      onShipped: async (seg, meta) => {
        if (this.o.onSegment) await this.o.onSegment(meta);
        const i = this.writer.state.pending.findIndex((p) => p.localName === seg.localName);
        if (i >= 0) this.writer.state.pending.splice(i, 1);
        await this.writer.save();
        if (this.o.store) await fsp.rm(this.writer.localPath(seg), { force: true });
        this.ctx.log("info", `Archived binlog segment ${meta.key} (${meta.file} ${meta.startPosition}..${meta.endPosition}, ${meta.eventCount} events${meta.fileComplete ? ", file complete" : ""}).`);
      },
      log: (l, m) => this.ctx.log(l, m),
    });
    this.shipper.kick();
    const statusTimer = setInterval(() => this.reportStatus(), 1000);
    const pollTimer = setInterval(() => void this.pollServer(), 1000);
    try {
      await this.replicate();
    } catch (e) {
      clearInterval(statusTimer);
      clearInterval(pollTimer);
      await this.closePoller();
      await this.writer.abandon().catch(() => undefined);
      await this.shipper.stop();
      throw e;
    }
    clearInterval(statusTimer);
    clearInterval(pollTimer);
    await this.closePoller();
    // clean stop: the open segment becomes a partial segment and everything closed is shipped
    this.phase = "stopping";
    await this.writer.closeForShutdown();
    const left = await this.shipper.drain();
    this.reportStatus();
    const stoppedAt = this.writer.checkpoint()!;
    if (left > 0)
      throw new DomainError("UNAVAILABLE", `The archiver stopped at ${stoppedAt.file}:${stoppedAt.position}, but ${left} segment(s) could not be shipped to ${this.o.store?.describe() ?? "the archive"} (${this.shipper.lastError}). They are safe in ${dir} and are shipped when the archiver runs again.`, { retryable: true });
    this.ctx.log("info", `Binlog archiver stopped at ${stoppedAt.file}:${stoppedAt.position}${stoppedAt.gtid ? ` (GTID ${stoppedAt.gtid})` : ""}.`);
    return { stoppedAt };
  }

  private async openWriter(): Promise<ArchiveWriter> {
    const { dir } = this.o;
    const wopts = {
      dir,
      rotateSize: this.o.rotateSize,
      checkpointIntervalMs: this.o.checkpointIntervalMs ?? 250,
      lag: this.lag,
      log: (l: "info" | "warn" | "error", m: string) => this.ctx.log(l, m),
      onCheckpoint: this.o.onCheckpoint,
      onSegmentClosed: () => this.shipper.kick(),
    };
    const existing = await readState(dir);
    if (existing) {
      if (existing.serverId !== this.serverId) existing.serverId = this.serverId;
      const seg = existing.current ? await SegmentFile.reopen(dir, existing.current, (m) => this.ctx.log("warn", m)) : null;
      const w = new ArchiveWriter(existing, seg, wopts);
      const cp = w.checkpoint();
      this.ctx.log("info", `Resuming the binlog archive in ${dir} from its checkpoint ${cp ? `${cp.file}:${cp.position}` : `GTID ${existing.startGtid}`}${existing.pending.length ? `; ${existing.pending.length} closed segment(s) still to ship` : ""}.`);
      if (cp) this.lag.onDurable({ file: cp.file, position: cp.position }, existing.lastEventTs);
      return w;
    }
    const c = await connectServer(this.o.server);
    let state: PersistedState;
    try {
      const [rows] = await c.query("SELECT VERSION() AS v");
      const flavor = /mariadb/i.test(String((rows as { v: string }[])[0]?.v)) ? "mariadb" : "mysql";
      const r = await resolveStart(c, this.o.server, flavor, this.o.start ?? "current");
      state = {
        version: 1,
        flavor,
        serverId: this.serverId,
        replicaUuid: crypto.randomUUID(),
        startGtid: r.startGtid,
        next: r.next,
        current: null,
        gtid: { flavor, state: r.gtidSeed, open: null },
        lastEventTs: null,
        pending: [],
        savedAt: new Date().toISOString(),
      };
    } finally {
      await c.end().catch(() => c.destroy());
    }
    const w = new ArchiveWriter(state, null, wopts);
    await w.save();
    this.ctx.log("info", `Starting a new binlog archive in ${dir} at ${state.next ? `${state.next.file}:${state.next.position}` : `GTID ${state.startGtid}`}.`);
    return w;
  }

  /** Connects, streams, reconnects with backoff; returns when ctx.signal aborts, throws what is not retryable. */
  private async replicate(): Promise<void> {
    const { signal } = this.ctx;
    let attempt = 0;
    let strikes = 0;
    while (!signal.aborted) {
      const from = this.writer.resumePoint();
      const eventsBefore = this.writer.events;
      const startedAt = Date.now();
      let failure: unknown;
      this.phase = this.reconnects ? "reconnecting" : "connecting";
      const onAbort = () => this.session?.destroy();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        this.session = await ReplicaSession.open(this.o.server, { server: this.o.server, serverId: this.serverId, heartbeatSeconds: this.heartbeatSeconds, replicaUuid: this.writer.state.replicaUuid });
        if (signal.aborted) break;
        this.writer.state.flavor ??= this.session.flavor;
        this.writer.startSession(this.session.checksum);
        this.dropping = false;
        this.phase = "streaming";
        if (this.reconnects) this.ctx.log("info", `Reconnected to ${this.where}; streaming from ${describeFrom(from)}.`);
        else this.ctx.log("info", `Streaming binlogs from ${this.where} (${this.session.version}) as replica server id ${this.serverId}, from ${describeFrom(from)}.`);
        await this.session.dump(from, (raw) => this.enqueue(raw));
        failure = new DomainError("UNAVAILABLE", `${this.where} ended the binlog stream`, { retryable: true });
      } catch (e) {
        failure = e;
      } finally {
        signal.removeEventListener("abort", onAbort);
        this.session?.destroy();
        this.session = null;
        await this.drainChain();
      }
      if (this.fatal) throw this.fatal;
      if (signal.aborted) return;
      const at = describeFrom(this.writer.resumePoint());
      const err = explainReplicationError(failure, this.o.server, { serverId: this.serverId, at });
      this.lastError = err.message;
      if (!err.retryable) {
        this.ctx.log("error", err.message);
        throw err;
      }
      const progressed = this.writer.events > eventsBefore || Date.now() - startedAt > 30_000;
      // the server kills the older of two dumps with the same server id; some servers do it silently
      if (await this.otherReplicaHoldsOurId()) {
        strikes++;
        if (strikes >= CONFLICT_STRIKES) {
          const ce = serverIdConflictError(this.where, this.serverId, `disconnected ${strikes} times in a row while SHOW SLAVE HOSTS listed another replica with this id`);
          this.ctx.log("error", ce.message);
          throw ce;
        }
      } else strikes = 0;
      attempt = progressed ? 1 : attempt + 1;
      this.reconnects++;
      this.phase = "reconnecting";
      const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt - 1, 7)) * (0.8 + Math.random() * 0.4);
      if (attempt <= 2 || attempt % 10 === 0) this.ctx.log("warn", `${err.message} Reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${attempt}).`);
      await sleep(delay, signal);
    }
  }

  private async otherReplicaHoldsOurId(): Promise<boolean> {
    try {
      const c = await connectServer(this.o.server);
      try {
        return await replicaWithServerId(c, this.serverId);
      } finally {
        await c.end().catch(() => c.destroy());
      }
    } catch {
      return false;
    }
  }

  /** Called for every event payload, in order, from the socket: queue it for the writer with backpressure. */
  private enqueue(raw: Buffer) {
    this.queued += raw.length;
    if (this.queued > QUEUE_HIGH && !this.paused) {
      this.paused = true;
      this.session?.pause();
    }
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    this.chain = this.chain.then(async () => {
      try {
        if (this.fatal || this.dropping) return;
        await this.writer.process(raw);
      } catch (e) {
        if (isDomainError(e) && e.retryable) {
          // drop what is queued behind the damaged event and fetch again from the last good one
          this.dropping = true;
          this.session?.destroy(e);
        } else {
          this.fatal = e;
          this.session?.destroy(e instanceof Error ? e : new Error(String(e)));
        }
      } finally {
        this.queued -= raw.length;
        if (this.paused && this.queued < QUEUE_LOW) {
          this.paused = false;
          this.session?.resume();
        }
        if (this.queued === 0 && !this.fatal) this.scheduleIdleSync();
      }
    });
  }

  private scheduleIdleSync() {
    if (this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.chain = this.chain.then(async () => {
        if (this.fatal) return;
        try {
          await this.writer.sync();
        } catch (e) {
          this.fatal = e;
          this.session?.destroy(e instanceof Error ? e : new Error(String(e)));
        }
      });
    }, IDLE_SYNC_MS);
  }

  private async drainChain() {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    await this.chain;
    this.paused = false;
    if (!this.fatal) {
      try {
        await this.writer.sync();
      } catch (e) {
        this.fatal = e;
      }
    }
  }

  private async pollServer() {
    try {
      this.pollConn ??= await connectServer(this.o.server);
      const p = await currentBinlogPosition(this.pollConn);
      if (p) this.lag.onServerPosition(p);
    } catch {
      const c = this.pollConn;
      this.pollConn = null;
      c?.destroy();
    }
  }

  private async closePoller() {
    const c = this.pollConn;
    this.pollConn = null;
    await c?.end().catch(() => c.destroy());
  }

  private status(): ArchiverStatus {
    const cp = this.writer.checkpoint();
    const sp = this.lag.serverPosition;
    return {
      state: this.phase,
      file: cp?.file ?? null,
      position: cp?.position ?? null,
      gtid: cp?.gtid ?? null,
      lastEventAt: cp?.lastEventAt ?? null,
      lagSeconds: this.lag.lagSeconds(),
      serverFile: sp?.file ?? null,
      serverPosition: sp?.position ?? null,
      bytes: this.writer.bytes,
      events: this.writer.events,
      pendingSegments: this.writer.state.pending.length,
      reconnects: this.reconnects,
      lastError: this.lastError ?? this.shipper.lastError,
    };
  }

  private reportStatus() {
    const s = this.status();
    try {
      this.o.onStatus?.(s);
    } catch (e) {
      this.ctx.log("warn", `status callback failed: ${errorMessage(e)}`);
    }
    this.ctx.progress({
      phase: s.state,
      bytesDone: s.bytes,
      detail: `${s.file ?? "?"}:${s.position ?? "?"}${s.lagSeconds !== null ? `, lag ${s.lagSeconds}s` : ""}${s.pendingSegments ? `, ${s.pendingSegments} segment(s) to ship` : ""}`,
    });
  }
}
