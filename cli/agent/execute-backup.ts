import type { BackupJobPayload, ClaimResponse, FinishReport, ProgressReport } from "../../server/agents/agent-runs";
import { backupToSet, chooseEngine } from "../../server/backup-pipeline/backup-to-set";
import { errorMessage, isDomainError } from "../../server/errors";
import { withServer } from "../../server/mysql/connect";
import { introspectServer } from "../../server/mysql/introspect";
import { ProgressTracker } from "../../server/runner/progress-tracker";
import { storeFromSpec } from "../../server/storage/open-store";
import { formatBytes } from "../../server/util/format";
import type { LogLevel, WorkContext } from "../../server/work-context";
import { AgentApiError, type AgentCall } from "./client";

class Cancelled extends Error {
  constructor() {
    super("cancelled by request");
  }
}
class Fenced extends Error {}

const REFUSED = new Set([401, 403, 404, 409]);

/**
 * Executes one claimed backup on this machine: the same pipeline as the embedded run (engine ->
 * objects -> manifest last) writing straight to the target, progress and log sent once a second
 * with the run's fence. A refused fence (the run was taken over) or a cancellation aborts the
 * work, and the set's objects are removed; the manifest is only written after one more fence check.
 */
export async function executeBackupJob(call: AgentCall, claim: ClaimResponse, job: BackupJobPayload, say: (m: string) => void, stopping: AbortSignal): Promise<string> {
  const ac = new AbortController();
  const onStop = () => ac.abort(new Error("the agent is stopping (SIGTERM)"));
  stopping.addEventListener("abort", onStop, { once: true });
  const tracker = new ProgressTracker();
  const began = Date.now();
  const pending: { level: LogLevel; message: string }[] = [];
  const report = async (strict: boolean) => {
    const logs = pending.splice(0, 500);
    const body: ProgressReport = { fence: claim.fence, logs, ...(tracker.dirty ? { progress: tracker.snapshot() } : {}) };
    try {
      const r = await call<{ cancel: boolean }>(`runs/${claim.runId}/progress`, body);
      if (r.cancel && !ac.signal.aborted) ac.abort(new Cancelled());
    } catch (e) {
      if (e instanceof AgentApiError && REFUSED.has(e.status)) {
        if (!ac.signal.aborted) ac.abort(new Fenced(e.message));
        if (strict) throw new Fenced(e.message);
        return;
      }
      pending.unshift(...logs); // the dashboard is unreachable for a moment: send them with the next report
      if (strict) throw e;
    }
  };
  const heart = setInterval(() => void report(false), 1000);
  const ctx: WorkContext = {
    signal: ac.signal,
    progress: (p) => tracker.update(p),
    log: (level, message) => {
      if (pending.length < 5000) pending.push({ level, message });
    },
  };
  const store = storeFromSpec(job.target);
  const p = job.params;
  try {
    ctx.progress({ phase: "connecting" });
    const address = job.host.address;
    const facts = await withServer(address, (c) => introspectServer(c, address));
    ctx.log("info", `${job.host.name}: ${facts.flavor} ${facts.version}, about ${formatBytes(facts.totalBytes)} of data and indexes, binlog ${facts.binlog.enabled ? "on" : "off"} (seen from the agent).`);
    const choice = chooseEngine(facts, { engine: job.engine ?? p.engine, destination: job.target.kind === "s3" ? "s3" : "local", serverName: job.host.name });
    const { manifest, manifestSha256 } = await backupToSet(ctx, {
      server: address,
      facts,
      engine: choice.engine,
      reason: choice.reason,
      store,
      prefix: job.prefix,
      compression: p.compression,
      level: p.level,
      key: job.encryptionKey ? Buffer.from(job.encryptionKey, "hex") : null,
      writeOptions: { partSize: job.target.partSize, workers: job.target.workers },
      filter: { databases: p.databases, excludeTables: p.excludeTables },
      parallel: p.parallel,
      includeUsers: p.includeUsers,
      options: { ...(job.host.datadir ? { datadir: job.host.datadir } : {}), ...(p.options ?? {}) },
      hostName: job.host.name,
      hostId: job.host.id,
      backupId: job.backupId,
      base: job.base ?? null,
      // the commit point: only a holder of the current fence writes the manifest
      beforeCommit: () => report(true),
    });
    clearInterval(heart);
    const t = manifest.totals;
    ctx.progress({ phase: "done", bytesDone: t.rawBytes, bytesTotal: t.rawBytes, ...(t.rows ? { rowsDone: t.rows, rowsTotal: t.rows } : {}), ...(t.tables ? { tablesDone: t.tables, tablesTotal: t.tables } : {}) });
    ctx.log("info", `Backup ${job.backupId}: ${manifest.objects.length} objects, ${formatBytes(t.rawBytes)} of data written, ${formatBytes(t.storedBytes)} stored after compression, lock ${manifest.lockMs ?? "—"} ms, written by the agent to ${store.describe(job.prefix)}.`);
    await report(false);
    const fin: FinishReport = { fence: claim.fence, outcome: "succeeded", manifest, manifestSha256, facts, progress: tracker.final(began), result: { backupId: job.backupId, storedBytes: t.storedBytes, rawBytes: t.rawBytes, rows: t.rows, lockMs: manifest.lockMs } };
    try {
      await call("runs/" + claim.runId + "/finish", fin);
    } catch (e) {
      // refused (taken over) or never acknowledged: this set is not in the catalog, so it must not stay
      await store.deletePrefix(job.prefix).catch(() => undefined);
      throw e instanceof AgentApiError && REFUSED.has(e.status) ? new Fenced(e.message) : e;
    }
    return "succeeded";
  } catch (e) {
    clearInterval(heart);
    const reason = ac.signal.aborted ? ac.signal.reason : e;
    if (reason instanceof Fenced || e instanceof Fenced) {
      // a newer claim holds the run: remove what this one wrote and report nothing
      await store.deletePrefix(job.prefix).catch(() => undefined);
      say(`run ${claim.runId}: fence ${claim.fence} refused (${errorMessage(reason instanceof Fenced ? reason : e)}); removed ${job.prefix}`);
      return "fenced";
    }
    const cancelled = reason instanceof Cancelled;
    const message = cancelled ? "Cancelled by request." : stopping.aborted ? `Interrupted: ${errorMessage(reason)}.` : errorMessage(e);
    await report(false).catch(() => undefined);
    const fin: FinishReport = { fence: claim.fence, outcome: cancelled ? "cancelled" : "failed", error: message, retryable: !cancelled && (stopping.aborted || (isDomainError(e) && e.retryable)), progress: tracker.snapshot() };
    await call("runs/" + claim.runId + "/finish", fin).catch((fe) => say(`run ${claim.runId}: could not report the failure (${errorMessage(fe)}); the dashboard recovers it when its lease ends`));
    return cancelled ? "cancelled" : "failed";
  } finally {
    stopping.removeEventListener("abort", onStop);
  }
}
