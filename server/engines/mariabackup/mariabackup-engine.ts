import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { DomainError, errorMessage } from "../../errors";
import { connectServer } from "../../mysql/connect";
import type { ServerFacts } from "../../mysql/server-facts";
import { findTool } from "../../mysql/tools";
import { physicalInventory } from "../snapshot/inventory";
import { DEFAULT_LOCK_WAIT_SECONDS } from "../snapshot/snapshot-options";
import type { BackupEngine, BackupOutcome, BackupRequest, EngineAvailability } from "../types";
import type { WorkContext } from "../../work-context";
import { mariabackupAvailability } from "./availability";
import { writeDefaultsFile } from "./defaults-file";
import { coordinatesFromInfo, parseInfoFile, ToolLog } from "./tool-log";

/** The archive object of an xbstream-layout backup; the set adds ".zst.enc". */
export const XBSTREAM_OBJECT = "backup.xbstream";

type Tool = { exe: string; label: "mariadb-backup" | "xtrabackup" };

/** mariadb-backup for MariaDB, xtrabackup for MySQL and Percona Server. */
export function backupTool(f: Pick<ServerFacts, "flavor">): Tool | null {
  if (f.flavor === "mariadb") {
    const exe = findTool("mariadb-backup", "mariabackup");
    return exe ? { exe, label: "mariadb-backup" } : null;
  }
  const exe = findTool("xtrabackup");
  return exe ? { exe, label: "xtrabackup" } : null;
}

function toolVersion(exe: string): string | null {
  try {
    return execFileSync(exe, ["--version"], { encoding: "utf8", timeout: 5000, stdio: ["ignore", "pipe", "pipe"] }).trim().split("\n")[0] ?? null;
  } catch (e) {
    const out = (e as { stderr?: string }).stderr;
    return out?.trim().split("\n")[0] ?? null;
  }
}

/** Bytes of regular files under a directory (the progress bar's estimate of what will be copied). */
async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  const visit = async (p: string) => {
    for (const d of await fs.readdir(p, { withFileTypes: true })) {
      const abs = path.join(p, d.name);
      if (d.isDirectory()) await visit(abs);
      else if (d.isFile()) total += (await fs.stat(abs)).size;
    }
  };
  await visit(dir).catch(() => undefined);
  return total;
}

/**
 * Hot physical backup with mariadb-backup (MariaDB) or xtrabackup (MySQL/Percona), streamed as
 * xbstream from the tool's stdout straight into the backup set: nothing is staged locally.
 * Credentials go through a 0600 defaults file in a private temp dir, removed afterwards;
 * cancellation kills the tool. Lock time and coordinates come from the tool's own log and info.
 */
export function createMariabackupEngine(name: "mariabackup" | "xtrabackup" = "mariabackup"): BackupEngine {
  return {
    name,
    layout: "xbstream",
    description:
      name === "mariabackup"
        ? "mariadb-backup hot physical backup (MariaDB), streamed as xbstream"
        : "Percona XtraBackup hot physical backup (MySQL, Percona Server), streamed as xbstream",
    availability: (f: ServerFacts): EngineAvailability => mariabackupAvailability(f, name),
    backup: (ctx, req) => toolBackup(ctx, req, name),
  };
}

async function toolBackup(ctx: WorkContext, req: BackupRequest, engineName: string): Promise<BackupOutcome> {
  const f = req.facts;
  const avail = mariabackupAvailability(f, engineName as "mariabackup" | "xtrabackup");
  if (!avail.available) throw new DomainError("PRECONDITION", `The ${engineName} engine cannot back up ${req.hostName}: ${avail.reasons.join("; ")}`);
  const tool = backupTool(f)!;
  const opts = req.options ?? {};
  const datadir = path.resolve(String(opts.datadir ?? f.datadir));
  const lockWait = Number(opts.lockWaitTimeoutSeconds ?? DEFAULT_LOCK_WAIT_SECONDS);
  const incrementalLsn = opts.incrementalLsn === undefined || opts.incrementalLsn === null ? null : String(opts.incrementalLsn);
  if (incrementalLsn !== null && !/^\d+$/.test(incrementalLsn)) throw new DomainError("INVALID", `The base LSN of an incremental backup must be a decimal number, not ${JSON.stringify(incrementalLsn)}.`);
  const startedAt = new Date();

  const conn = await connectServer(req.server);
  let databases;
  try {
    databases = await physicalInventory(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }

  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-xb-"));
  await fs.chmod(tmp, 0o700);
  let child: ReturnType<typeof spawn> | null = null;
  const kill = () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      setTimeout(() => child?.exitCode === null && child?.signalCode === null && child.kill("SIGKILL"), 5000).unref();
    }
  };
  ctx.signal.addEventListener("abort", kill, { once: true });
  try {
    const defaults = await writeDefaultsFile(tmp, req.server);
    const lsnDir = path.join(tmp, "lsn");
    const args = [
      `--defaults-file=${defaults}`, // must be the first option
      "--backup",
      "--stream=xbstream",
      `--target-dir=${path.join(tmp, "target")}`,
      `--extra-lsndir=${lsnDir}`,
      `--datadir=${datadir}`,
      `--parallel=${Math.max(1, req.parallel)}`,
      // xtrabackup waits this long for long-running queries before FLUSH TABLES WITH READ LOCK, then
      // gives up rather than stall writers behind a pending FTWRL. mariadb-backup takes BACKUP STAGE
      // locks, which do not stall InnoDB writers while they wait (its --startup-wait-timeout would
      // instead delay every backup of a busy server), so it needs no such limit.
      ...(tool.label === "xtrabackup" ? [`--ftwrl-wait-timeout=${lockWait}`] : []),
      // a delta (incremental/differential): only pages newer than the base's to_lsn, which the
      // caller read from the base's recorded checkpoints, so the base itself need not be on this disk
      ...(incrementalLsn ? [`--incremental-lsn=${incrementalLsn}`] : []),
    ];
    const total = await directoryBytes(datadir);
    ctx.progress({ phase: `${tool.label} backup`, bytesDone: 0, bytesTotal: total || undefined });
    ctx.log("info", `Running ${tool.label} (${toolVersion(tool.exe) ?? "version unknown"}) on ${datadir}, streaming to ${req.set.store.describe(req.set.prefix)}.`);

    let done = 0;
    const log = new ToolLog();
    let lastDetail = 0;
    const obj = req.set.object(`${XBSTREAM_OBJECT}${req.set.extension}`, { role: "physical" }, {
      threads: Math.max(1, req.parallel),
      onRawBytes: (n) => {
        done += n;
        const now = Date.now();
        if (now - lastDetail > 500) {
          lastDetail = now;
          ctx.progress({ bytesDone: done, detail: log.lastFile ?? undefined });
        } else ctx.progress({ bytesDone: done });
      },
    });
    child = spawn(tool.exe, args, { stdio: ["ignore", "pipe", "pipe"], cwd: tmp });
    const proc = child;
    proc.stderr!.on("data", (d: Buffer) => log.push(d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      proc.once("error", reject);
      proc.once("close", (code, signal) => resolve({ code, signal }));
    });
    exited.catch(() => undefined);
    // If the upload fails, stop the tool rather than let it fill a pipe nobody reads.
    const streamed = pipeline(proc.stdout!, obj.input).catch((e) => {
      kill();
      throw e;
    });
    const [{ code, signal }] = await Promise.all([exited, streamed]);
    log.end();
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new DomainError("INTERNAL", "cancelled");
    if (code !== 0) {
      throw new DomainError(
        "UNAVAILABLE",
        `${tool.label} failed on ${req.hostName} (${signal ?? `exit ${code}`}): ${log.errors.slice(-3).join(" | ") || log.lastLines(6)}`,
        { retryable: /lock wait timeout|Lock wait|timeout/i.test(log.lastLines(20)) },
      );
    }
    await obj.done;
    // the tool blocks commits near its end, so the data is consistent to a moment before it exited
    const consistentAt = new Date().toISOString();

    const info = parseInfoFile(await fs.readFile(path.join(lsnDir, "xtrabackup_info"), "utf8").catch(() => ""));
    const checkpoints = parseInfoFile(await fs.readFile(path.join(lsnDir, "xtrabackup_checkpoints"), "utf8").catch(() => ""));
    if (incrementalLsn !== null && (checkpoints.backup_type !== "incremental" || checkpoints.from_lsn !== incrementalLsn)) {
      throw new DomainError("INTERNAL", `${tool.label} was asked for the changes since LSN ${incrementalLsn} but its checkpoints say ${checkpoints.backup_type ?? "?"} from ${checkpoints.from_lsn ?? "?"}: the backup is not a usable delta and is discarded.`);
    }
    const coordinates = coordinatesFromInfo(info) ?? log.coordinates;
    if (f.binlog.enabled && !coordinates) ctx.log("warn", `${tool.label} did not report binlog coordinates; point-in-time recovery from this backup needs them.`);
    ctx.log("info", `${tool.label} finished: ${done} bytes; commits were blocked for ${log.lockMs ?? "?"} ms (${log.method ?? "no lock seen in the log"}).`);
    return {
      engine: engineName,
      layout: "xbstream",
      server: { version: f.version, flavor: f.flavor, serverId: f.serverId, hostname: f.hostname },
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      lockMs: log.lockMs,
      coordinates,
      databases,
      details: {
        consistentAt,
        tool: tool.label,
        toolVersion: info.tool_version ?? null,
        lockMethod: log.method,
        ddlBlockedMs: log.ddlBlockedMs,
        lockMeasuredFrom: "arrival times of the tool's log lines (ms), an upper bound",
        lsn: { from: checkpoints.from_lsn ?? null, to: checkpoints.to_lsn ?? null, last: checkpoints.last_lsn ?? null },
        datadir,
        archive: { object: obj.entry.path, bytes: done },
        needsPrepare: true,
        rowCounts: "estimated",
      },
    };
  } catch (e) {
    kill();
    throw e;
  } finally {
    ctx.signal.removeEventListener("abort", kill);
    if (child && child.exitCode === null && child.signalCode === null) {
      const c = child;
      await new Promise<void>((r) => {
        c.once("close", () => r());
        setTimeout(r, 10_000).unref();
      });
    }
    await fs.rm(tmp, { recursive: true, force: true }).catch((e) => ctx.log("warn", `Could not remove the temporary directory ${tmp}: ${errorMessage(e)}; remove it by hand (rm -rf ${tmp}).`));
  }
}
