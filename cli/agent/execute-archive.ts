import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ClaimResponse } from "../../server/agents/agent-runs";
import type { ArchiveJobPayload } from "../../server/agents/archive-on-agent";
import { archiveHost, archiveWorkDir, throttledStatus, type ArchiverStateReport, type ArchiveSink } from "../../server/archive-runs/archive-run";
import type { SegmentMeta } from "../../server/binlog";
import { DomainError, errorMessage } from "../../server/errors";
import { scanSegments } from "../../server/incidents/read-archive";
import type { Incident } from "../../server/incidents/scan-incidents";
import { storeFromSpec } from "../../server/storage/open-store";
import type { ObjectStore } from "../../server/storage/object-store";
import type { AgentCall } from "./client";
import { Cancelled, Fenced, holdRun } from "./held-run";

/** The agent's own data directory: binlog archive working directories and checkpoints live under it. */
export function defaultAgentDataDir(): string {
  if (process.env.DBBACKUP_AGENT_DATA_DIR) return path.resolve(process.env.DBBACKUP_AGENT_DATA_DIR);
  if (process.getuid?.() === 0) return "/var/lib/dbbackup-agent";
  return path.join(process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state"), "dbbackup-agent");
}

/**
 * One archiver process per working directory: a lock file with our pid, taken over when its
 * process is gone (kill -9), refused while it lives (a paused or second agent process on the same
 * machine would otherwise write the same segment files).
 */
async function lockDir(dir: string): Promise<() => void> {
  await fsp.mkdir(path.dirname(dir), { recursive: true });
  const file = `${dir}.lock`;
  for (let i = 0; i < 3; i++) {
    try {
      const fd = fs.openSync(file, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(fs.readFileSync(file, "utf8").trim());
      let alive = false;
      try {
        if (pid > 0) process.kill(pid, 0);
        alive = pid > 0;
      } catch (k) {
        alive = (k as NodeJS.ErrnoException).code === "EPERM";
      }
      if (alive) throw new DomainError("UNAVAILABLE", `The archive directory ${dir} is in use by process ${pid} on this machine (another agent process archiving this host); trying again later.`, { retryable: true });
      fs.rmSync(file, { force: true }); // its process died (kill -9): the checkpoint in the directory is ours now
    }
  }
  throw new DomainError("UNAVAILABLE", `Could not lock ${dir}.`, { retryable: true });
}

/** Reads a segment the agent just shipped for incidents, where it is (the dashboard may not reach a local path here). */
async function scanShipped(store: ObjectStore, m: SegmentMeta, rowThreshold: number) {
  const t0 = performance.now();
  const incidents: Incident[] = [];
  let bytes = 0;
  let error: string | null = null;
  try {
    for await (const i of scanSegments(store, [m], { rowThreshold, onBytes: (b) => (bytes += b) })) if (incidents.length < 20_000) incidents.push(i);
  } catch (e) {
    error = errorMessage(e);
  }
  return { incidents, bytes, ms: Math.round(performance.now() - t0), error };
}

/**
 * Executes a claimed binlog archive run on this machine: the same archiveHost as the embedded run,
 * the working directory and checkpoint under the agent's data dir (a restarted agent resumes from
 * it), segments shipped straight to the target, and every shipped segment, checkpoint and status
 * reported with the run's fence. Stop archiving (cancel) closes and ships the open segment first.
 */
export async function executeArchiveJob(call: AgentCall, claim: ClaimResponse, job: ArchiveJobPayload, say: (m: string) => void, stopping: AbortSignal, dataDir: string): Promise<string> {
  const held = holdRun(call, claim, stopping);
  const { ctx, tracker } = held;
  const store = storeFromSpec(job.target);
  const dir = archiveWorkDir(job.setup.host.id, dataDir);
  const runPath = `runs/${claim.runId}`;
  let unlock: (() => void) | null = null;
  let pending: ArchiverStateReport = {};
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    if (!Object.keys(pending).length) return flushing;
    const { runId: _r, serverId: _s, ...state } = pending;
    pending = {};
    flushing = flushing.then(() => call(`${runPath}/archiver-state`, { fence: claim.fence, state }).then(
      () => undefined,
      () => undefined, // a refused fence is noticed by the progress report; a lost state update is overwritten by the next
    ));
    return flushing;
  };
  const timer = setInterval(() => void flush(), 1000);
  try {
    unlock = await lockDir(dir);
    ctx.log("info", `Working directory on the agent: ${dir}.`);
    const sink: ArchiveSink = {
      onSegment: async (m, s) => {
        const scan = await scanShipped(s, m, job.rowThreshold);
        // a failure here leaves the segment pending in the working directory: it is shipped and reported again
        await call(`${runPath}/segment`, { fence: claim.fence, meta: m, scan });
      },
      state: async (r) => {
        Object.assign(pending, r);
        await flush();
      },
      checkpoint: async (c) => {
        Object.assign(pending, { file: c.file, position: c.position, gtid: c.gtid, lastEventAt: c.lastEventAt });
      },
      status: throttledStatus((r) => Object.assign(pending, r)),
    };
    const { stoppedAt } = await archiveHost(ctx, job.setup, { dir, store, sink });
    clearInterval(timer);
    await flush();
    held.release();
    const reason = ctx.signal.reason;
    if (reason instanceof Fenced) {
      say(`run ${claim.runId}: fence ${claim.fence} refused (${reason.message}); stopped archiving at ${stoppedAt.file}:${stoppedAt.position}`);
      return "fenced";
    }
    if (reason instanceof Cancelled) {
      await held.report();
      await held.finish({ fence: claim.fence, outcome: "archived", stoppedAt, progress: tracker.snapshot() });
      return "stopped";
    }
    // the agent is stopping: the attempt ends retryable and the next one resumes from the checkpoint
    return held.reportFailure({ kind: "interrupted", message: `Interrupted: agent stopping; the archive stopped cleanly at ${stoppedAt.file}:${stoppedAt.position} and resumes from there.`, retryable: true }, say);
  } catch (e) {
    clearInterval(timer);
    await flush();
    held.release();
    const f = held.failure(e);
    if (f.kind === "fenced") {
      say(`run ${claim.runId}: fence ${claim.fence} refused (${f.message})`);
      return "fenced";
    }
    return held.reportFailure(f, say);
  } finally {
    clearInterval(timer);
    held.release();
    unlock?.();
  }
}
