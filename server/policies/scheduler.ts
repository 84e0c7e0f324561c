import type { Policy } from "../db/generated/client";
import { db, parseJson } from "../db/client";
import { errorMessage } from "../errors";
import { logger } from "../logging/logger";
import { appendRunLog } from "../runner/run-log";
import { enqueueRun } from "../runner/enqueue-run";
import { newId } from "../util/ids";
import { superviseArchivers } from "../archive-runs/manage-archiving";
import { sweepCleanupTasks } from "../storage/cleanup";
import { dueTimes } from "./cron";
import { policyBackupInput } from "./policy-backup";

/**
 * One scheduling pass. For each enabled policy: the due times since it last scheduled are computed;
 * exactly one run is created for the latest of them (idempotency key = policy + due time, so
 * restarts and concurrent passes never duplicate; N missed times after downtime run once, not N
 * times). A policy whose previous run is still going is skipped, and the skip is recorded as a
 * cancelled run that says why.
 */
export async function schedulePolicies(now = new Date()) {
  const policies = await db().policy.findMany({ where: { enabled: true } });
  const created: string[] = [];
  for (const p of policies) {
    try {
      const r = await scheduleKind(p, "backup", now);
      if (r) created.push(r);
      if (p.verifySchedule) {
        const v = await scheduleKind(p, "verify", now);
        if (v) created.push(v);
      }
    } catch (e) {
      logger.warn({ policy: p.name, err: errorMessage(e) }, "could not schedule policy");
    }
  }
  return created;
}

async function scheduleKind(p: Policy, kind: "backup" | "verify", now: Date): Promise<string | null> {
  const expr = kind === "backup" ? p.schedule : p.verifySchedule!;
  const lastField = kind === "backup" ? "lastScheduledFor" : "lastVerifyScheduledFor";
  const since = p[lastField] ?? p.createdAt;
  const due = dueTimes(expr, p.timezone, since, now);
  if (!due.length) return null;
  const dueAt = due[due.length - 1]!;
  // claim this due time: only one scheduler pass wins the conditional update
  const claimed = await db().policy.updateMany({ where: { id: p.id, [lastField]: p[lastField] }, data: { [lastField]: dueAt } });
  if (claimed.count !== 1) return null;
  const key = `policy:${p.id}:${kind}:${dueAt.toISOString()}`;
  const active = await db().run.findFirst({ where: { policyId: p.id, kind, state: { in: ["queued", "running"] } } });
  if (active) {
    const skipped = await db().run.upsert({
      where: { idempotencyKey: key },
      update: {},
      create: {
        id: newId("r"),
        kind,
        hostId: p.hostId,
        policyId: p.id,
        state: "cancelled",
        idempotencyKey: key,
        params: JSON.stringify({ scheduledFor: dueAt.toISOString() }),
        error: `Skipped: the previous ${kind} run of policy ${p.name} (${active.id}) is still ${active.state}.`,
        finishedAt: now,
      },
    });
    await appendRunLog(skipped.id, "warn", skipped.error ?? "skipped");
    return null;
  }
  const params =
    kind === "backup"
      ? { ...policyBackupInput(p), scheduledFor: dueAt.toISOString() }
      : { scheduledFor: dueAt.toISOString(), policyId: p.id, mode: "latest" };
  const run = await enqueueRun({ kind, hostId: p.hostId, policyId: p.id, params, idempotencyKey: key });
  if (due.length > 1) await appendRunLog(run.id, "warn", `${due.length} scheduled times were missed while dbbackup was not running (since ${since.toISOString()}); running once now.`);
  await appendRunLog(run.id, "info", `Scheduled by policy ${p.name} for ${dueAt.toISOString()} (${expr}, ${p.timezone}).`);
  return run.id;
}

let timer: NodeJS.Timeout | null = null;

/** Runs a scheduling pass every `everyMs` (default 15 s) in this process. */
export function startScheduler(everyMs = Number(process.env.DBBACKUP_SCHEDULER_MS || 15000)) {
  if (timer) return;
  const tick = async () => {
    await schedulePolicies().catch((e) => logger.error({ err: errorMessage(e) }, "scheduler pass failed"));
    await superviseArchivers().catch((e) => logger.error({ err: errorMessage(e) }, "archiver supervision failed"));
    await sweepCleanupTasks().catch((e) => logger.error({ err: errorMessage(e) }, "cleanup sweep failed"));
    timer = setTimeout(tick, everyMs);
  };
  void tick();
}

export function stopScheduler() {
  if (timer) clearTimeout(timer);
  timer = null;
}
