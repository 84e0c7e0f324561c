import { recordAudit, type Actor } from "../audit/record";
import { db, parseJson } from "../db/client";
import { conflict, invalid, notFound } from "../errors";
import { newId } from "../util/ids";
import { cronProblem, nextRuns } from "./cron";
import type { PolicyInput, Retention } from "./schemas";

async function validate(v: PolicyInput, exceptId?: string) {
  const p = cronProblem(v.schedule, v.timezone);
  if (p) throw invalid(p.field, p.message);
  if (v.verifySchedule) {
    const q = cronProblem(v.verifySchedule, v.timezone);
    if (q) throw invalid(q.field === "schedule" ? "verifySchedule" : "timezone", q.message);
  }
  const other = await db().policy.findUnique({ where: { name: v.name } });
  if (other && other.id !== exceptId) throw conflict("name", `A policy named ${v.name} already exists.`);
  if (!(await db().host.findUnique({ where: { id: v.hostId } }))) throw invalid("hostId", "That host does not exist.");
  if (!(await db().storageTarget.findUnique({ where: { id: v.targetId } }))) throw invalid("targetId", "That storage target does not exist.");
  if (v.encryptionKeyId && !(await db().encryptionKey.findUnique({ where: { id: v.encryptionKeyId } }))) throw invalid("encryptionKeyId", "That encryption key does not exist.");
}

function columns(v: PolicyInput) {
  return {
    name: v.name,
    hostId: v.hostId,
    targetId: v.targetId,
    engine: v.engine,
    ...(v.backupKind ? { backupKind: v.backupKind } : {}),
    ...(v.rtoSeconds !== undefined ? { rtoSeconds: v.rtoSeconds } : {}),
    databases: JSON.stringify(v.databases),
    excludeTables: JSON.stringify(v.excludeTables),
    schedule: v.schedule,
    timezone: v.timezone,
    compression: v.compression,
    compressionLevel: v.compressionLevel,
    encryptionKeyId: v.encryptionKeyId ?? null,
    retention: JSON.stringify(v.retention),
    verifySchedule: v.verifySchedule ?? null,
    binlogArchiving: v.binlogArchiving,
    ...(v.incidentRows !== undefined ? { incidentRows: v.incidentRows } : {}),
    staleAfterMinutes: v.staleAfterMinutes ?? null,
    enabled: v.enabled,
  };
}

/** A policy that asks for binlog archiving turns it on for its host (to the policy's target) if it is off. */
async function enableArchivingFor(v: PolicyInput) {
  if (!v.binlogArchiving) return;
  await db().host.updateMany({ where: { id: v.hostId, archiveTargetId: null }, data: { archiveTargetId: v.targetId } });
}

export async function createPolicy(opts: { input: PolicyInput; actor: Actor }) {
  await validate(opts.input);
  await enableArchivingFor(opts.input);
  const id = newId("p");
  return db().$transaction(async (tx) => {
    // schedules count from now: a new policy does not run for due times before it existed
    const p = await tx.policy.create({ data: { id, ...columns(opts.input), lastScheduledFor: new Date() } });
    await recordAudit(opts.actor, "policy.create", { type: "policy", id }, { name: p.name, schedule: p.schedule, timezone: p.timezone }, tx);
    return p;
  });
}

export async function updatePolicy(opts: { id: string; input: PolicyInput; actor: Actor }) {
  const existing = await db().policy.findUnique({ where: { id: opts.id } });
  if (!existing) throw notFound("Policy", opts.id);
  await validate(opts.input, opts.id);
  await enableArchivingFor(opts.input);
  return db().$transaction(async (tx) => {
    const scheduleChanged = existing.schedule !== opts.input.schedule || existing.timezone !== opts.input.timezone || (!existing.enabled && opts.input.enabled);
    const p = await tx.policy.update({ where: { id: opts.id }, data: { ...columns(opts.input), ...(scheduleChanged ? { lastScheduledFor: new Date() } : {}) } });
    await recordAudit(opts.actor, "policy.update", { type: "policy", id: p.id }, { name: p.name }, tx);
    return p;
  });
}

export async function deletePolicy(opts: { id: string; actor: Actor }) {
  const p = await db().policy.findUnique({ where: { id: opts.id } });
  if (!p) throw notFound("Policy", opts.id);
  await db().$transaction(async (tx) => {
    await tx.policy.delete({ where: { id: p.id } });
    await recordAudit(opts.actor, "policy.delete", { type: "policy", id: p.id }, { name: p.name }, tx);
  });
  return { ok: true };
}

export function presentPolicy<T extends { databases: string; excludeTables: string; retention: string; schedule: string; timezone: string; enabled: boolean; verifySchedule: string | null }>(p: T) {
  let upcoming: Date[] = [];
  let nextVerify: Date | null = null;
  try {
    if (p.enabled) upcoming = nextRuns(p.schedule, p.timezone, 5);
    if (p.enabled && p.verifySchedule) nextVerify = nextRuns(p.verifySchedule, p.timezone, 1)[0] ?? null;
  } catch {
    // validated on save; an old invalid row shows no upcoming runs
  }
  return {
    ...p,
    databases: parseJson<string[]>(p.databases, []),
    excludeTables: parseJson<string[]>(p.excludeTables, []),
    retention: parseJson<Retention>(p.retention, { keepLast: 7 }),
    upcoming,
    nextVerify,
  };
}

export async function listPolicies(opts: { hostId?: string } = {}) {
  const rows = await db().policy.findMany({
    where: opts.hostId ? { hostId: opts.hostId } : {},
    orderBy: { name: "asc" },
    include: { host: { select: { id: true, name: true } }, target: { select: { id: true, name: true } }, encryptionKey: { select: { id: true, name: true } } },
  });
  const out = [];
  for (const r of rows) {
    const last = await db().run.findFirst({ where: { policyId: r.id, kind: "backup", state: { in: ["succeeded", "failed", "cancelled"] } }, orderBy: { queuedAt: "desc" } });
    const lastOk = await db().backup.findFirst({ where: { policyId: r.id, state: "complete" }, orderBy: { finishedAt: "desc" } });
    out.push({ ...presentPolicy(r), lastRun: last ? { id: last.id, state: last.state, at: last.finishedAt ?? last.queuedAt, error: last.error } : null, lastSuccessAt: lastOk?.finishedAt ?? null });
  }
  return out;
}

export async function getPolicy(id: string) {
  const p = await db().policy.findUnique({ where: { id }, include: { host: { select: { id: true, name: true } }, target: { select: { id: true, name: true } } } });
  if (!p) throw notFound("Policy", id);
  return presentPolicy(p);
}
