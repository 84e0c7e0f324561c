import { recordAudit, type Actor } from "../audit/record";
import { deleteBackup } from "../backups/delete-backup";
import { db, parseJson } from "../db/client";
import { DomainError, errorMessage } from "../errors";
import type { Retention } from "../policies/schemas";
import type { RunKind } from "../runner/run-kinds";
import { enqueueRun } from "../runner/enqueue-run";
import { openStore } from "../storage/open-store";
import { planRetention, type RetentionPlan } from "./plan";

/** The retention plan of a policy right now (the dry run). */
export async function retentionPlanFor(policyId: string, now = new Date()): Promise<RetentionPlan & { policy: string }> {
  const p = await db().policy.findUnique({ where: { id: policyId } });
  if (!p) throw new DomainError("NOT_FOUND", `Policy ${policyId} does not exist.`);
  const all = await db().backup.findMany({ where: { hostId: p.hostId, state: "complete" } });
  const toInfo = (b: (typeof all)[number]) => ({ id: b.id, finishedAt: b.finishedAt, verifyState: b.verifyState, binlogFile: b.binlogFile, binlogPos: b.binlogPos === null ? null : Number(b.binlogPos), parentId: b.parentBackupId });
  const segments = await db().binlogSegment.findMany({ where: { hostId: p.hostId } });
  const plan = planRetention({
    backups: all.filter((b) => b.policyId === p.id).map(toInfo),
    otherHostBackups: all.filter((b) => b.policyId !== p.id).map(toInfo),
    retention: parseJson<Retention>(p.retention, { keepLast: 7 }),
    now,
    segments: segments.map((s) => ({ id: s.id, fileName: s.fileName, startPos: Number(s.startPos), endPos: Number(s.endPos), lastEventAt: s.lastEventAt })),
  });
  return { ...plan, policy: p.name };
}

/** Queues a prune run (dry run: only log what would go) for a policy, as the actor. */
export async function startPrune(opts: { policyId: string; dryRun: boolean; actor: Actor }) {
  const p = await db().policy.findUnique({ where: { id: opts.policyId } });
  if (!p) throw new DomainError("NOT_FOUND", `Policy ${opts.policyId} does not exist.`);
  const run = await enqueueRun({ kind: "prune", hostId: p.hostId, policyId: p.id, params: { policyId: p.id, dryRun: opts.dryRun }, createdById: "id" in opts.actor ? opts.actor.id : null, maxAttempts: 1 });
  await recordAudit(opts.actor, "retention.start", { type: "policy", id: p.id }, { dryRun: opts.dryRun, run: run.id });
  return run;
}

/** The "prune" run: applies a policy's retention plan, logging every decision. */
export const pruneRunKind: RunKind<{ policyId: string; dryRun?: boolean }> = {
  kind: "prune",
  async execute(ctx) {
    const plan = await retentionPlanFor(ctx.params.policyId);
    ctx.progress({ phase: "pruning", tablesTotal: plan.prune.length + plan.segmentsPrune.length, tablesDone: 0 });
    for (const k of plan.keep) ctx.log("info", `keep ${k.id}: ${k.reasons.join("; ")}`);
    let done = 0;
    let deleted = 0;
    let failed = 0;
    for (const b of plan.prune) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (ctx.params.dryRun) {
        ctx.log("info", `would prune ${b.id}: ${b.reason}`);
      } else {
        try {
          const r = await deleteBackup({ backupId: b.id, actor: { system: `retention:${plan.policy}` }, reason: b.reason });
          ctx.log("info", `pruned ${b.id} (${r.objects} objects): ${b.reason}`);
          deleted++;
        } catch (e) {
          failed++;
          ctx.log("error", `could not prune ${b.id}: ${errorMessage(e)}`);
        }
      }
      ctx.progress({ tablesDone: ++done });
    }
    for (const s of plan.segmentsPrune) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const seg = await db().binlogSegment.findUnique({ where: { id: s.id }, include: { target: true } });
      if (!seg) continue;
      if (ctx.params.dryRun) {
        ctx.log("info", `would prune binlog segment ${seg.fileName}@${seg.startPos}: ${s.reason}`);
      } else {
        try {
          await openStore(seg.target).delete(seg.location);
          await db().binlogSegment.delete({ where: { id: seg.id } });
          ctx.log("info", `pruned binlog segment ${seg.fileName}@${seg.startPos}: ${s.reason}`);
        } catch (e) {
          failed++;
          ctx.log("error", `could not prune binlog segment ${seg.fileName}: ${errorMessage(e)}`);
        }
      }
      ctx.progress({ tablesDone: ++done });
    }
    await recordAudit({ system: "retention" }, ctx.params.dryRun ? "retention.dry-run" : "retention.prune", { type: "policy", id: ctx.params.policyId }, {
      kept: plan.keep.length,
      pruned: deleted,
      segments: plan.segmentsPrune.length,
      failed,
    });
    if (failed) throw new DomainError("UNAVAILABLE", `${failed} deletion(s) failed; see the log. They will be tried again by the next prune.`, { retryable: false });
    return { kept: plan.keep.map((k) => k.id), pruned: plan.prune.map((p) => p.id), segments: plan.segmentsPrune.length, dryRun: !!ctx.params.dryRun };
  },
};
