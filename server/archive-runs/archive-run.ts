import fsp from "node:fs/promises";
import path from "node:path";
import { runArchiver, type ArchiveStart, type ArchiverStatus, type SegmentMeta } from "../binlog";
import { dataDir } from "../env";
import { db } from "../db/client";
import { DomainError, errorMessage } from "../errors";
import { readState } from "../binlog/archive-state";
import { binlogFiles, currentBinlogPosition } from "../binlog/server-status";
import { hostAddress } from "../hosts/host-address";
import { withServer } from "../mysql/connect";
import type { RunKind } from "../runner/run-kinds";
import { openTargetStore } from "../storage/open-store";
import { coveringStart, neededBackupOf } from "./archive-start";
import { indexShippedSegment } from "../incidents/index-runs";

export type ArchiveParams = { targetId: string; start?: ArchiveStart; fresh?: boolean };

/** The archiver's working directory for a host: the open segment and the durable checkpoint. */
export function archiveWorkDir(hostId: string) {
  return path.join(dataDir(), "archive", hostId);
}

export function archivePrefix(hostName: string) {
  return `${hostName}/binlog/`;
}

async function recordSegment(hostId: string, targetId: string, m: SegmentMeta) {
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
  return db().binlogSegment.upsert({
    where: { hostId_fileName_startPos: { hostId, fileName: m.file, startPos: BigInt(m.startPosition) } },
    update: data,
    create: { hostId, fileName: m.file, startPos: BigInt(m.startPosition), ...data },
  });
}

/**
 * The "binlog" run: a long-lived archiver for one host. It runs until cancelled (stop archiving,
 * or server shutdown) and then closes and ships its open segment. Segments are indexed in the
 * catalog as they are shipped; the checkpoint and lag go to ArchiverState.
 */
export const archiveRunKind: RunKind<ArchiveParams> = {
  kind: "binlog",
  group: "archive",
  async execute(ctx) {
    const host = await db().host.findUnique({ where: { id: ctx.run.hostId ?? "" } });
    if (!host) throw new DomainError("NOT_FOUND", "The host of this archive run was deleted.");
    const { target, store } = await openTargetStore(ctx.params.targetId);
    const dir = archiveWorkDir(host.id);
    if (ctx.params.fresh) {
      // start over (after purged binlogs made the old checkpoint unreachable): keep the old directory
      await fsp.rename(dir, `${dir}.before-${Date.now()}`).catch(() => undefined);
      ctx.log("warn", "Starting a fresh archive: the previous checkpoint cannot be resumed.");
    }
    await fsp.mkdir(dir, { recursive: true });
    const setState = (data: Record<string, unknown>) =>
      db().archiverState.upsert({ where: { hostId: host.id }, update: data, create: { hostId: host.id, ...data } }).catch(() => undefined);
    await setState({ status: "running", message: null, runId: ctx.run.id, serverId: host.archiverServerId });
    ctx.log("info", `Archiving binlogs of ${host.name} as replica server id ${host.archiverServerId} to ${store.describe(archivePrefix(host.name))}${host.archiveRotateSize ? `, rotating every ${host.archiveRotateSize} bytes` : ""}.`);
    let lastStatus = 0;
    // A new archive without an explicit start covers the host's backups: it begins at the start of
    // the binlog file of the oldest backup retention keeps for point-in-time recovery (or the newest
    // backup), or at the server's oldest binlog when that file is gone. "current" starts at the
    // beginning of the server's current binlog file, not in its middle: the archive then holds the
    // file's format description event, which replay needs. (A resumed archive ignores the start.)
    let start: ArchiveStart = ctx.params.start ?? "current";
    if (!ctx.params.start && !(await readState(dir))) {
      const need = await neededBackupOf(host.id);
      const server = await withServer(hostAddress(host), async (c) => ({ files: (await binlogFiles(c)).map((f) => f.file), current: await currentBinlogPosition(c) })).catch(() => null);
      if (server) {
        const chosen = coveringStart(need, server.files, server.current);
        start = chosen.start;
        ctx.log(chosen.start === "oldest" && need ? "warn" : "info", `New archive starts ${typeof start === "string" ? `at the ${start} binlog` : "file" in start ? `at ${start.file}:4` : `at GTID ${start.gtid}`}: ${chosen.why}.`);
      }
    } else if (start === "current") {
      const cur = await withServer(hostAddress(host), (c) => currentBinlogPosition(c)).catch(() => null);
      if (cur) start = { file: cur.file, position: 4 };
    }
    try {
      const { stoppedAt } = await runArchiver(ctx, {
        server: hostAddress(host),
        serverId: host.archiverServerId,
        dir,
        store,
        storePrefix: archivePrefix(host.name),
        compress: host.archiveCompress,
        rotateSize: host.archiveRotateSize ?? undefined,
        start,
        onSegment: async (m) => {
          const row = await recordSegment(host.id, target.id, m);
          ctx.log("info", `Shipped ${m.file} ${m.startPosition}-${m.endPosition} (${m.size} bytes, ${m.endedBy}).`);
          await indexShippedSegment(ctx, host.id, store, { id: row.id, meta: m });
        },
        onCheckpoint: async (c) => {
          await setState({ file: c.file, position: BigInt(c.position), gtid: c.gtid, lastEventAt: c.lastEventAt });
        },
        onStatus: (s: ArchiverStatus) => {
          ctx.progress({ phase: s.state, bytesDone: s.bytes, detail: `${s.file ?? "?"}:${s.position ?? "?"} · lag ${s.lagSeconds ?? "?"} s · ${s.events} events${s.reconnects ? ` · ${s.reconnects} reconnects` : ""}` });
          const now = Date.now();
          if (now - lastStatus < 1000) return;
          lastStatus = now;
          void setState({ lagSeconds: s.lagSeconds, bytes: BigInt(s.bytes), status: "running", message: s.lastError });
        },
      });
      await setState({ status: "stopped", message: `stopped at ${stoppedAt.file}:${stoppedAt.position}`, lagSeconds: null });
      return { stoppedAt: { file: stoppedAt.file, position: stoppedAt.position, gtid: stoppedAt.gtid } };
    } catch (e) {
      await setState({ status: "error", message: errorMessage(e), lagSeconds: null });
      throw e;
    }
  },
};
