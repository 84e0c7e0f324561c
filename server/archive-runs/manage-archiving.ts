import { recordAudit, type Actor } from "../audit/record";
import { db } from "../db/client";
import { invalid, notFound } from "../errors";
import { cancelRun } from "../runner/cancel-run";
import { enqueueRun } from "../runner/enqueue-run";

/** Turns continuous archiving on for a host (to a storage target) and starts the archive run. */
export async function startArchiving(opts: { hostId: string; targetId: string; actor: Actor; rotateSize?: number | null; compress?: boolean }) {
  const host = await db().host.findUnique({ where: { id: opts.hostId } });
  if (!host) throw notFound("Host", opts.hostId);
  if (!(await db().storageTarget.findUnique({ where: { id: opts.targetId } }))) throw invalid("targetId", "That storage target does not exist.");
  await db().host.update({
    where: { id: host.id },
    data: { archiveTargetId: opts.targetId, ...(opts.rotateSize !== undefined ? { archiveRotateSize: opts.rotateSize } : {}), ...(opts.compress !== undefined ? { archiveCompress: opts.compress } : {}) },
  });
  await recordAudit(opts.actor, "archive.start", { type: "host", id: host.id }, { host: host.name, target: opts.targetId });
  return ensureArchiveRun(host.id);
}

/** Turns archiving off: the running archiver closes and ships its open segment, then stops. */
export async function stopArchiving(opts: { hostId: string; actor: Actor }) {
  const host = await db().host.findUnique({ where: { id: opts.hostId } });
  if (!host) throw notFound("Host", opts.hostId);
  await db().host.update({ where: { id: host.id }, data: { archiveTargetId: null } });
  const active = await db().run.findMany({ where: { hostId: host.id, kind: "binlog", state: { in: ["queued", "running"] } } });
  for (const r of active) await cancelRun({ runId: r.id, actor: opts.actor });
  await recordAudit(opts.actor, "archive.stop", { type: "host", id: host.id }, { host: host.name });
  return { stopped: active.length };
}

/** Makes sure a host that wants archiving has one archive run queued or running. */
export async function ensureArchiveRun(hostId: string) {
  const host = await db().host.findUnique({ where: { id: hostId } });
  if (!host?.archiveTargetId) return null;
  const active = await db().run.findFirst({ where: { hostId, kind: "binlog", state: { in: ["queued", "running"] } } });
  if (active) return active;
  const last = await db().run.findFirst({ where: { hostId, kind: "binlog" }, orderBy: { queuedAt: "desc" } });
  // after a failure, wait before trying again (a notification went out); purged binlogs need a fresh
  // start. Without a start, a new archive reaches back to the host's backups (see archive-start.ts).
  if (last?.state === "failed" && last.finishedAt && Date.now() - last.finishedAt.getTime() < 5 * 60_000) return null;
  const fresh = last?.state === "failed" && /purged/i.test(last.error ?? "");
  return enqueueRun({ kind: "binlog", hostId, params: { targetId: host.archiveTargetId, ...(fresh ? { start: "oldest" as const } : {}), fresh }, maxAttempts: 1000 });
}

/** Supervisor pass: every host that wants archiving gets its run (after restarts, failures). */
export async function superviseArchivers() {
  const hosts = await db().host.findMany({ where: { archiveTargetId: { not: null } }, select: { id: true } });
  for (const h of hosts) await ensureArchiveRun(h.id);
}
