import path from "node:path";
import type { BackupSetReader } from "../../artifact/backup-set-reader";
import type { WorkContext } from "../../work-context";
import { DomainError, errorMessage } from "../../errors";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../mysql/sandbox";
import { materializeBackup, type Materialized } from "./materialize";
import { fixOwnership } from "./ownership";

export type SandboxRestore = { sandbox: Sandbox; restore: Materialized; startMs: number };

/**
 * Restores a physical backup into a NEW datadir (`<dir>/data`) and starts a throwaway server on
 * it; the caller stops it (sandbox.stop(), which keeps `dir` unless removeOnStop is set). This is
 * what verification calls: extract (tar or mbstream), prepare (mariadb-backup --prepare), fix
 * ownership and permissions, start (InnoDB crash recovery runs here for snapshot backups), and
 * wait until it accepts connections. The server continues the restored binlogs, so its
 * @@gtid_binlog_pos is the backup's GTID position for snapshot backups.
 */
export async function restorePhysicalToSandbox(
  ctx: WorkContext,
  opts: { reader: BackupSetReader; dir: string; sandbox?: Omit<SandboxOptions, "dir" | "datadir" | "binlog"> },
): Promise<Sandbox> {
  return (await restorePhysicalToSandboxDetailed(ctx, opts)).sandbox;
}

/** Same as restorePhysicalToSandbox, with the timings and what was restored. */
export async function restorePhysicalToSandboxDetailed(
  ctx: WorkContext,
  opts: { reader: BackupSetReader; dir: string; sandbox?: Omit<SandboxOptions, "dir" | "datadir" | "binlog"> },
): Promise<SandboxRestore> {
  const datadir = path.join(opts.dir, "data");
  const restore = await materializeBackup(ctx, opts.reader, datadir);
  await fixOwnership(datadir, { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });
  ctx.progress({ phase: "starting server", detail: datadir });
  const binlogArgs = restore.binlogBasename ? [`--log-bin=${path.join(datadir, restore.binlogBasename)}`, "--binlog-format=ROW"] : [];
  const t0 = Date.now();
  try {
    const sandbox = await startSandbox({
      ...opts.sandbox,
      dir: opts.dir,
      datadir,
      binlog: false,
      args: [...binlogArgs, ...(opts.sandbox?.args ?? [])],
    });
    return { sandbox, restore, startMs: Date.now() - t0 };
  } catch (e) {
    throw new DomainError("INVALID", `The restored datadir ${datadir} did not start as a server: ${errorMessage(e)}`, { cause: e });
  }
}
