import path from "node:path";
import { performance } from "node:perf_hooks";
import { DomainError, errorMessage } from "../../errors";
import { connectServer } from "../../mysql/connect";
import type { BackupEngine, BackupOutcome, BackupRequest } from "../types";
import type { WorkContext } from "../../work-context";
import { snapshotAvailability } from "./availability";
import type { SnapshotBackend } from "./backend";
import { systemRunner, type CommandRunner } from "./command-runner";
import { withConsistencyLock } from "./consistency-lock";
import { checkDatadirLayout } from "./datadir-checks";
import { physicalInventory } from "./inventory";
import { resolveSnapshotBackend } from "./resolve-backend";
import { parseSnapshotOptions } from "./snapshot-options";
import { packDirectory } from "./tar-directory";

/** The archive object of a tar-layout backup (snapshot and clone engines); the set adds ".zst.enc". */
export const DATADIR_TAR = "datadir.tar";

export type SnapshotEngineDeps = {
  /** how commands run (tests pass a scripted runner) */
  runner?: CommandRunner;
  /** where LVM snapshots and ZFS clones are mounted (default: the OS temp dir) */
  mountBase?: string;
};

/**
 * Filesystem snapshot engine: lock commits for milliseconds, snapshot the datadir's volume,
 * unlock, then stream the frozen datadir as a tar archive into the backup set. The snapshot is
 * removed on every path, success, failure or cancellation.
 */
export function createSnapshotEngine(deps: SnapshotEngineDeps = {}): BackupEngine {
  const runner = deps.runner ?? systemRunner;
  return {
    name: "snapshot",
    layout: "tar",
    description: "Filesystem snapshot (Btrfs, LVM, ZFS): commits blocked for milliseconds, the frozen datadir streamed as tar",
    availability: snapshotAvailability,
    backup: (ctx, req) => snapshotBackup(ctx, req, runner, deps.mountBase),
  };
}

async function snapshotBackup(ctx: WorkContext, req: BackupRequest, runner: CommandRunner, mountBase?: string): Promise<BackupOutcome> {
  const o = parseSnapshotOptions(req.options);
  const f = req.facts;
  if (!f.isLocal) throw new DomainError("PRECONDITION", `${req.hostName} runs on another machine: a snapshot backup needs the datadir on this machine. Run a dbbackup runner on the database host, or choose another engine.`);
  const datadirRaw = o.datadir ?? f.datadir;
  if (!datadirRaw) throw new DomainError("PRECONDITION", `${req.hostName} did not report its datadir; set the host's datadir.`, { field: "datadir" });
  const datadir = path.resolve(datadirRaw);
  const startedAt = new Date();

  ctx.progress({ phase: "preparing snapshot" });
  const backend = await resolveSnapshotBackend({ runner, datadir, options: o, name: `dbbackup-${req.backupId}`, mountBase });
  const conn = await connectServer(req.server);
  let taken = false;
  try {
    const layout = await checkDatadirLayout(conn, datadir, req.hostName);
    if (layout.binlogOutside) ctx.log("warn", `Binary logs live in ${layout.binlogOutside}, outside the datadir: they are not in this archive (the binlog archive covers point-in-time recovery).`);
    await backend.prepare();

    ctx.progress({ phase: "locking" });
    let snapshotMs = 0;
    const locked = await withConsistencyLock(
      ctx,
      conn,
      { server: req.server, hostName: req.hostName, flavor: f.flavor, version: f.version, timeoutSeconds: o.lockWaitTimeoutSeconds, method: o.lockMethod },
      async () => {
        const t = performance.now();
        await backend.create();
        snapshotMs = Math.round((performance.now() - t) * 100) / 100;
      },
      () => physicalInventory(conn),
    );
    taken = true;
    // the data is as of a moment inside the lock; the time just after it is a safe upper bound
    const consistentAt = new Date().toISOString();
    ctx.log("info", `Snapshot of ${backend.source} taken in ${snapshotMs} ms; commits were blocked for ${locked.lockMs} ms (${locked.method}).`);
    await conn.end().catch(() => conn.destroy());

    const dir = await backend.open();
    ctx.progress({ phase: "streaming snapshot", bytesDone: 0 });
    let done = 0;
    const obj = req.set.object(`${DATADIR_TAR}${req.set.extension}`, { role: "physical" }, { threads: Math.max(1, req.parallel) });
    const [packed] = await Promise.all([
      packDirectory(dir, obj.input, {
        signal: ctx.signal,
        onTotal: (bytes, files) => ctx.progress({ phase: "streaming snapshot", bytesTotal: bytes, detail: `${files} files from ${backend.source}` }),
        onBytes: (n) => ctx.progress({ bytesDone: (done += n) }),
      }),
      obj.done,
    ]);
    await backend.verify();
    return {
      engine: "snapshot",
      layout: "tar",
      server: { version: f.version, flavor: f.flavor, serverId: f.serverId, hostname: f.hostname },
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      lockMs: locked.lockMs,
      coordinates: locked.coordinates,
      databases: locked.inventory ?? [],
      details: {
        consistentAt,
        snapshot: backend.describe(),
        lockMethod: locked.method,
        ddlBlockedMs: locked.ddlBlockedMs,
        snapshotMs,
        datadir,
        archive: { object: obj.entry.path, files: packed.files, directories: packed.directories, bytes: packed.bytes, root: "datadir" },
        rowCounts: "estimated",
      },
    };
  } finally {
    conn.destroy();
    // remove() undoes whatever prepare/create/open did, so it runs on every path
    try {
      await backend.remove();
      if (taken) ctx.log("info", `Snapshot removed (${backend.source}).`);
    } catch (e) {
      ctx.log("error", `Could not remove the snapshot of ${backend.source}: ${errorMessage(e)}. Remove it by hand: ${backend.manualCleanup().join(" && ") || "(nothing left to remove)"}`);
    }
  }
}

export type { SnapshotBackend };
