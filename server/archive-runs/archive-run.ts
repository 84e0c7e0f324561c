import fsp from "node:fs/promises";
import path from "node:path";
import { runArchiver, type ArchiveStart, type ArchiverStatus, type Checkpoint, type SegmentMeta } from "../binlog";
import { dataDir } from "../env";
import { db } from "../db/client";
import { DomainError, errorMessage } from "../errors";
import { readState } from "../binlog/archive-state";
import { binlogFiles, currentBinlogPosition } from "../binlog/server-status";
import { hostAddress } from "../hosts/host-address";
import { withServer } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";
import type { RunKind } from "../runner/run-kinds";
import { openTargetStore } from "../storage/open-store";
import type { ObjectStore } from "../storage/object-store";
import type { WorkContext } from "../work-context";
import { coveringStart, neededBackupOf, type CoverNeed } from "./archive-start";
import { indexShippedSegment } from "../incidents/index-runs";

export type ArchiveParams = { targetId: string; start?: ArchiveStart; fresh?: boolean };

/** The archiver's working directory for a host: the open segment and the durable checkpoint. */
export function archiveWorkDir(hostId: string, root = dataDir()) {
  return path.join(root, "archive", hostId);
}

export function archivePrefix(hostName: string) {
  return `${hostName}/binlog/`;
}

/** Writes one shipped segment to the catalog (idempotent: a segment shipped twice is one row). */
export async function recordSegment(hostId: string, targetId: string, m: SegmentMeta, tx: Pick<ReturnType<typeof db>, "binlogSegment"> = db()) {
  const data = {
    location: m.key,
    endPos: BigInt(m.endPosition),
    firstEventAt: m.firstEventAt,
    lastEventAt: m.lastEventAt,
    gtidStart: m.gtidFirst,
    gtidEnd: m.gtidLast,
    gtidStateEnd: m.gtidStateEnd,
    serverId: m.serverIds[0] ?? null,
    sizeBytes: BigInt(m.size),
    storedBytes: BigInt(m.storedSize),
    sha256: m.sha256,
    storedSha256: m.storedSha256,
    compressed: m.compressed,
    byteOffset: BigInt(m.byteOffset),
    endedBy: m.endedBy,
    fileComplete: m.fileComplete,
    eventCount: m.eventCount,
    targetId,
  };
  return tx.binlogSegment.upsert({
    where: { hostId_fileName_startPos: { hostId, fileName: m.file, startPos: BigInt(m.startPosition) } },
    update: data,
    create: { hostId, fileName: m.file, startPos: BigInt(m.startPosition), ...data },
  });
}

/** What an archiver tells the dashboard's ArchiverState about itself (plain JSON: it also travels from agents). */
export type ArchiverStateReport = {
  status?: "running" | "stopped" | "error";
  message?: string | null;
  runId?: string;
  serverId?: number | null;
  file?: string | null;
  position?: number | null;
  gtid?: string | null;
  lastEventAt?: Date | string | null;
  lagSeconds?: number | null;
  bytes?: number;
};

/** Upserts the host's ArchiverState row from a report. */
export async function writeArchiverState(hostId: string, r: ArchiverStateReport) {
  const data: Record<string, unknown> = {};
  for (const k of ["status", "message", "runId", "serverId", "file", "gtid", "lagSeconds"] as const) if (r[k] !== undefined) data[k] = r[k];
  if (r.position !== undefined) data.position = r.position === null ? null : BigInt(r.position);
  if (r.bytes !== undefined) data.bytes = BigInt(r.bytes);
  if (r.lastEventAt !== undefined) data.lastEventAt = r.lastEventAt === null ? null : new Date(r.lastEventAt);
  await db().archiverState.upsert({ where: { hostId }, update: data, create: { hostId, ...data } });
}

/** Everything an archiver of one host needs besides its store, wherever it runs (embedded or on an agent). */
export type ArchiveSetup = {
  runId: string;
  host: { id: string; name: string; address: ServerAddress; serverId: number; compress: boolean; rotateSize: number | null };
  /** the run's start and fresh flag (ArchiveParams) */
  start?: ArchiveStart;
  fresh?: boolean;
  /** the backup a new archive must reach back to (from the catalog), null when the host has none */
  need: CoverNeed | null;
};

/** Where the archiver's results go: the catalog directly (embedded) or the agent API. */
export type ArchiveSink = {
  onSegment(m: SegmentMeta, store: ObjectStore): Promise<void>;
  /** a state change to write now (start, stop, error) */
  state(r: ArchiverStateReport): Promise<void>;
  /** a checkpoint or status (often: the sink may coalesce them) */
  checkpoint(c: Checkpoint): Promise<void>;
  status(s: ArchiverStatus): void;
};

/** Reads the archive setup of a host from the catalog (the server does; an agent gets it in its claim). */
export async function archiveSetupOf(run: { id: string; hostId: string | null }, params: ArchiveParams): Promise<ArchiveSetup> {
  const host = await db().host.findUnique({ where: { id: run.hostId ?? "" } });
  if (!host) throw new DomainError("NOT_FOUND", "The host of this archive run was deleted.");
  return {
    runId: run.id,
    host: { id: host.id, name: host.name, address: hostAddress(host), serverId: host.archiverServerId, compress: host.archiveCompress, rotateSize: host.archiveRotateSize },
    start: params.start,
    fresh: params.fresh,
    need: params.start ? null : await neededBackupOf(host.id),
  };
}

/**
 * Runs the archiver of one host until ctx.signal aborts (it then closes and ships its open segment)
 * or it fails: the working directory, the start of a new archive and the state reports are the
 * same wherever it runs; only the sink differs.
 */
export async function archiveHost(ctx: WorkContext, setup: ArchiveSetup, o: { dir: string; store: ObjectStore; sink: ArchiveSink }): Promise<{ stoppedAt: { file: string; position: number; gtid: string | null } }> {
  const { host } = setup;
  const { dir, store, sink } = o;
  if (setup.fresh) {
    // start over (after purged binlogs made the old checkpoint unreachable): keep the old directory
    await fsp.rename(dir, `${dir}.before-${Date.now()}`).catch(() => undefined);
    ctx.log("warn", "Starting a fresh archive: the previous checkpoint cannot be resumed.");
  }
  await fsp.mkdir(dir, { recursive: true });
  await sink.state({ status: "running", message: null, runId: setup.runId, serverId: host.serverId });
  ctx.log("info", `Archiving binlogs of ${host.name} as replica server id ${host.serverId} to ${store.describe(archivePrefix(host.name))}${host.rotateSize ? `, rotating every ${host.rotateSize} bytes` : ""}.`);
  // A new archive without an explicit start covers the host's backups: it begins at the start of
  // the binlog file of the oldest backup retention keeps for point-in-time recovery (or the newest
  // backup), or at the server's oldest binlog when that file is gone. "current" starts at the
  // beginning of the server's current binlog file, not in its middle: the archive then holds the
  // file's format description event, which replay needs. (A resumed archive ignores the start.)
  let start: ArchiveStart = setup.start ?? "current";
  if (!setup.start && !(await readState(dir))) {
    const server = await withServer(host.address, async (c) => ({ files: (await binlogFiles(c)).map((f) => f.file), current: await currentBinlogPosition(c) })).catch(() => null);
    if (server) {
      const chosen = coveringStart(setup.need, server.files, server.current);
      start = chosen.start;
      ctx.log(chosen.start === "oldest" && setup.need ? "warn" : "info", `New archive starts ${typeof start === "string" ? `at the ${start} binlog` : "file" in start ? `at ${start.file}:4` : `at GTID ${start.gtid}`}: ${chosen.why}.`);
    }
  } else if (start === "current") {
    const cur = await withServer(host.address, (c) => currentBinlogPosition(c)).catch(() => null);
    if (cur) start = { file: cur.file, position: 4 };
  }
  try {
    const { stoppedAt } = await runArchiver(ctx, {
      server: host.address,
      serverId: host.serverId,
      dir,
      store,
      storePrefix: archivePrefix(host.name),
      compress: host.compress,
      rotateSize: host.rotateSize ?? undefined,
      start,
      onSegment: async (m) => {
        await sink.onSegment(m, store);
        ctx.log("info", `Shipped ${m.file} ${m.startPosition}-${m.endPosition} (${m.size} bytes, ${m.endedBy}).`);
      },
      onCheckpoint: (c) => sink.checkpoint(c),
      onStatus: (s: ArchiverStatus) => {
        ctx.progress({ phase: s.state, bytesDone: s.bytes, detail: `${s.file ?? "?"}:${s.position ?? "?"} · lag ${s.lagSeconds ?? "?"} s · ${s.events} events${s.reconnects ? ` · ${s.reconnects} reconnects` : ""}` });
        sink.status(s);
      },
    });
    await sink.state({ status: "stopped", message: `stopped at ${stoppedAt.file}:${stoppedAt.position}`, lagSeconds: null, file: stoppedAt.file, position: stoppedAt.position, gtid: stoppedAt.gtid });
    return { stoppedAt: { file: stoppedAt.file, position: stoppedAt.position, gtid: stoppedAt.gtid } };
  } catch (e) {
    await sink.state({ status: "error", message: errorMessage(e), lagSeconds: null }).catch(() => undefined);
    throw e;
  }
}

/** A status report at most once a second (the rest only go to the run's progress). */
export function throttledStatus(write: (r: ArchiverStateReport) => void, everyMs = 1000) {
  let last = 0;
  return (s: ArchiverStatus) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    write({ lagSeconds: s.lagSeconds, bytes: s.bytes, status: "running", message: s.lastError });
  };
}

/**
 * The "binlog" run: a long-lived archiver for one host. It runs until cancelled (stop archiving,
 * or server shutdown) and then closes and ships its open segment. Segments are indexed in the
 * catalog as they are shipped; the checkpoint and lag go to ArchiverState. A host bound to a
 * runner agent archives on that agent instead (server/agents/archive-on-agent.ts), with the same
 * archiveHost and a sink that reports through the agent API.
 */
export const archiveRunKind: RunKind<ArchiveParams> = {
  kind: "binlog",
  group: "archive",
  async execute(ctx) {
    const setup = await archiveSetupOf(ctx.run, ctx.params);
    const { target, store } = await openTargetStore(ctx.params.targetId);
    const hostId = setup.host.id;
    const setState = (r: ArchiverStateReport) => writeArchiverState(hostId, r).catch(() => undefined);
    return archiveHost(ctx, setup, {
      dir: archiveWorkDir(hostId),
      store,
      sink: {
        onSegment: async (m, s) => {
          const row = await recordSegment(hostId, target.id, m);
          await indexShippedSegment(ctx, hostId, s, { id: row.id, meta: m });
        },
        state: setState,
        checkpoint: async (c) => {
          await setState({ file: c.file, position: c.position, gtid: c.gtid, lastEventAt: c.lastEventAt });
        },
        status: throttledStatus((r) => void setState(r)),
      },
    });
  },
};
