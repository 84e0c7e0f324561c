import type { BackupJobPayload, ClaimResponse } from "../../server/agents/agent-runs";
import { backupToSet, chooseEngine } from "../../server/backup-pipeline/backup-to-set";
import { withServer } from "../../server/mysql/connect";
import { introspectServer } from "../../server/mysql/introspect";
import { storeFromSpec } from "../../server/storage/open-store";
import { formatBytes } from "../../server/util/format";
import type { AgentCall } from "./client";
import { holdRun } from "./held-run";

/**
 * Executes one claimed backup on this machine: the same pipeline as the embedded run (engine ->
 * objects -> manifest last) writing straight to the target, progress and log sent once a second
 * with the run's fence. A refused fence (the run was taken over) or a cancellation aborts the
 * work, and the set's objects are removed; the manifest is only written after one more fence check.
 */
export async function executeBackupJob(call: AgentCall, claim: ClaimResponse, job: BackupJobPayload, say: (m: string) => void, stopping: AbortSignal): Promise<string> {
  const held = holdRun(call, claim, stopping);
  const { ctx, tracker } = held;
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
      beforeCommit: () => held.report(true),
    });
    held.release();
    const t = manifest.totals;
    ctx.progress({ phase: "done", bytesDone: t.rawBytes, bytesTotal: t.rawBytes, ...(t.rows ? { rowsDone: t.rows, rowsTotal: t.rows } : {}), ...(t.tables ? { tablesDone: t.tables, tablesTotal: t.tables } : {}) });
    ctx.log("info", `Backup ${job.backupId}: ${manifest.objects.length} objects, ${formatBytes(t.rawBytes)} of data written, ${formatBytes(t.storedBytes)} stored after compression, lock ${manifest.lockMs ?? "—"} ms, written by the agent to ${store.describe(job.prefix)}.`);
    await held.report();
    try {
      await held.finish({ fence: claim.fence, outcome: "succeeded", manifest, manifestSha256, facts, progress: tracker.final(held.began), result: { backupId: job.backupId, storedBytes: t.storedBytes, rawBytes: t.rawBytes, rows: t.rows, lockMs: manifest.lockMs } });
    } catch (e) {
      // refused (taken over) or never acknowledged: this set is not in the catalog, so it must not stay
      await store.deletePrefix(job.prefix).catch(() => undefined);
      throw e;
    }
    return "succeeded";
  } catch (e) {
    held.release();
    const f = held.failure(e);
    if (f.kind === "fenced") {
      // a newer claim holds the run: remove what this one wrote and report nothing
      await store.deletePrefix(job.prefix).catch(() => undefined);
      say(`run ${claim.runId}: fence ${claim.fence} refused (${f.message}); removed ${job.prefix}`);
      return "fenced";
    }
    return held.reportFailure(f, say);
  } finally {
    held.release();
  }
}
