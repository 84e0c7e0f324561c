import { db } from "../db/client";

export type HostHealth = "failing" | "warning" | "ok" | "unknown";

/**
 * Per host: its last backup (and whether the latest backup run failed), last verification, live
 * RPO (binlog archive lag) and measured RTO (duration of the newest verification restore), with a
 * health verdict so failing hosts sort first. Plus the recent backups for the charts.
 */
export async function getOverview() {
  const hosts = await db().host.findMany({ include: { archiverState: true, policies: { select: { id: true, name: true, enabled: true } } }, orderBy: { name: "asc" } });
  const rows = [];
  for (const h of hosts) {
    const [lastBackup, lastRun, lastVerification, running, recent] = await Promise.all([
      db().backup.findFirst({ where: { hostId: h.id, state: "complete" }, orderBy: { finishedAt: "desc" } }),
      db().run.findFirst({ where: { hostId: h.id, kind: "backup", state: { in: ["succeeded", "failed"] } }, orderBy: { queuedAt: "desc" } }),
      db().verification.findFirst({ where: { backup: { hostId: h.id } }, orderBy: { createdAt: "desc" } }),
      db().run.findFirst({ where: { hostId: h.id, state: "running", kind: { not: "binlog" } }, orderBy: { startedAt: "desc" } }),
      db().backup.findMany({ where: { hostId: h.id, state: "complete" }, orderBy: { finishedAt: "desc" }, take: 30, select: { id: true, startedAt: true, finishedAt: true, sizeBytes: true, verifyState: true } }),
    ]);
    const problems: string[] = [];
    if (lastRun?.state === "failed") problems.push(`last backup run failed: ${lastRun.error ?? ""}`);
    if (lastVerification?.result === "failed") problems.push("last verification failed");
    if (h.archiverState?.status === "error") problems.push(`binlog archiver: ${h.archiverState.message ?? "error"}`);
    const warnings: string[] = [];
    if (!lastBackup) warnings.push("no backup yet");
    else if (Date.now() - lastBackup.finishedAt.getTime() > 26 * 3600_000) warnings.push("no backup in the last 26 hours");
    if (lastBackup && !lastVerification) warnings.push("never verified by a restore");
    if (h.introspectionError) warnings.push("unreachable at last introspection");
    const health: HostHealth = problems.length ? "failing" : warnings.length ? "warning" : lastBackup ? "ok" : "unknown";
    rows.push({
      host: { id: h.id, name: h.name, environment: h.environment },
      health,
      problems,
      warnings,
      lastBackup: lastBackup ? { id: lastBackup.id, finishedAt: lastBackup.finishedAt, sizeBytes: Number(lastBackup.sizeBytes), verifyState: lastBackup.verifyState, durationMs: lastBackup.finishedAt.getTime() - lastBackup.startedAt.getTime() } : null,
      lastRun: lastRun ? { id: lastRun.id, state: lastRun.state, error: lastRun.error, at: lastRun.finishedAt ?? lastRun.queuedAt } : null,
      running: running ? { id: running.id, kind: running.kind } : null,
      lastVerification: lastVerification ? { result: lastVerification.result, at: lastVerification.createdAt, durationMs: lastVerification.durationMs, kind: lastVerification.kind } : null,
      rpoSeconds: h.archiverState?.status === "running" ? h.archiverState.lagSeconds : null,
      archiver: h.archiverState ? { status: h.archiverState.status, lastEventAt: h.archiverState.lastEventAt } : null,
      rtoMs: lastVerification?.durationMs ?? null,
      recent: recent.map((b) => ({ id: b.id, startedAt: b.startedAt, finishedAt: b.finishedAt, sizeBytes: Number(b.sizeBytes), verifyState: b.verifyState })),
    });
  }
  const order: Record<HostHealth, number> = { failing: 0, warning: 1, unknown: 2, ok: 3 };
  rows.sort((a, b) => order[a.health] - order[b.health] || a.host.name.localeCompare(b.host.name));
  return rows;
}
