import { Gauge, Registry } from "prom-client";
import { db } from "../db/client";

/**
 * Prometheus metrics, computed from the catalog at scrape time (so every process serving
 * /api/metrics reports the same truth and nothing drifts in memory).
 */
export function buildRegistry(): Registry {
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const lastSuccess = g("dbbackup_backup_last_success_timestamp_seconds", "Finish time of the newest complete backup", ["host", "policy"]);
  const lastDuration = g("dbbackup_backup_last_duration_seconds", "Duration of the newest complete backup", ["host", "policy"]);
  const lastSize = g("dbbackup_backup_last_size_bytes", "Stored size of the newest complete backup", ["host", "policy"]);
  const lastLock = g("dbbackup_backup_last_lock_milliseconds", "Write-lock time of the newest complete backup", ["host", "policy"]);
  const policyFailing = g("dbbackup_policy_last_run_failed", "1 when the policy's most recent backup run failed", ["host", "policy"]);
  const lag = g("dbbackup_binlog_archive_lag_seconds", "Seconds between the server's newest binlog event and the newest archived one (live RPO)", ["host"]);
  const archiverUp = g("dbbackup_binlog_archiver_running", "1 when the host's binlog archiver is running", ["host"]);
  const verifyOk = g("dbbackup_verification_last_passed", "1 when the newest verification of the host's backups passed, 0 when it failed", ["host"]);
  const verifyTime = g("dbbackup_verification_last_timestamp_seconds", "Time of the newest verification", ["host"]);
  const rto = g("dbbackup_restore_drill_last_duration_seconds", "Duration of the newest verification restore (measured RTO)", ["host"]);
  const notRestorable = g("dbbackup_backups_not_restorable", "Complete backups that cannot be restored because a link of their chain is missing or damaged", ["host"]);
  const queue = g("dbbackup_runner_queue_depth", "Runs waiting for the runner", ["kind"]);
  const running = g("dbbackup_runner_running", "Runs being executed", ["kind"]);

  const collect = async () => {
    for (const m of [lastSuccess, lastDuration, lastSize, lastLock, policyFailing, lag, archiverUp, verifyOk, verifyTime, rto, notRestorable, queue, running]) m.reset();
    const hosts = await db().host.findMany({ include: { policies: true, archiverState: true } });
    for (const h of hosts) {
      const groups: { policy: string; policyId: string | null }[] = [{ policy: "", policyId: null }, ...h.policies.map((p) => ({ policy: p.name, policyId: p.id }))];
      for (const grp of groups) {
        const b = await db().backup.findFirst({ where: { hostId: h.id, state: "complete", ...(grp.policyId ? { policyId: grp.policyId } : {}) }, orderBy: { finishedAt: "desc" } });
        if (b) {
          const labels = { host: h.name, policy: grp.policy };
          lastSuccess.set(labels, b.finishedAt.getTime() / 1000);
          lastDuration.set(labels, (b.finishedAt.getTime() - b.startedAt.getTime()) / 1000);
          lastSize.set(labels, Number(b.sizeBytes));
          if (b.lockMs !== null) lastLock.set(labels, b.lockMs);
        }
        if (grp.policyId) {
          const r = await db().run.findFirst({ where: { policyId: grp.policyId, kind: "backup", state: { in: ["succeeded", "failed"] } }, orderBy: { queuedAt: "desc" } });
          if (r) policyFailing.set({ host: h.name, policy: grp.policy }, r.state === "failed" ? 1 : 0);
        }
      }
      if (h.archiverState) {
        archiverUp.set({ host: h.name }, h.archiverState.status === "running" ? 1 : 0);
        if (h.archiverState.lagSeconds !== null) lag.set({ host: h.name }, h.archiverState.lagSeconds);
      }
      notRestorable.set({ host: h.name }, await db().backup.count({ where: { hostId: h.id, state: "complete", chainBroken: { not: null } } }));
      const v = await db().verification.findFirst({ where: { backup: { hostId: h.id } }, orderBy: { createdAt: "desc" } });
      if (v) {
        verifyOk.set({ host: h.name }, v.result === "passed" ? 1 : 0);
        verifyTime.set({ host: h.name }, v.createdAt.getTime() / 1000);
        rto.set({ host: h.name }, v.durationMs / 1000);
      }
    }
    const byKind = await db().run.groupBy({ by: ["kind", "state"], where: { state: { in: ["queued", "running"] } }, _count: { _all: true } });
    for (const k of byKind) (k.state === "queued" ? queue : running).set({ kind: k.kind }, k._count._all);
  };
  return Object.assign(registry, { collectFromCatalog: collect });
}

export async function renderMetrics(): Promise<{ body: string; contentType: string }> {
  const registry = buildRegistry() as Registry & { collectFromCatalog: () => Promise<void> };
  await registry.collectFromCatalog();
  return { body: await registry.metrics(), contentType: registry.contentType };
}
