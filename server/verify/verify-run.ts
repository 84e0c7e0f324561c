import { recordAudit } from "../audit/record";
import { db } from "../db/client";
import { DomainError } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { openBackupReader } from "../restore/restore-into-host";
import type { RunKind } from "../runner/run-kinds";
import { openTargetStore } from "../storage/open-store";
import type { Check } from "./checks";
import { runDrill } from "./drill";
import { verifyOpenedSet, type VerifyResult } from "./verify-set";
import type { WorkContext } from "../work-context";

export type VerifyParams = { backupId?: string; policyId?: string; hostId?: string; mode?: "latest" | "drill"; verificationHostId?: string | null; objectsOnly?: boolean };

/** Runs a PITR drill for a host and records it as a "drill" verification of the newer backup. */
async function drillAndRecord(ctx: Parameters<NonNullable<RunKind<VerifyParams>["execute"]>>[0], hostId: string, required: boolean) {
  const d = await runDrill(ctx, { hostId });
  if (!d.possible) {
    ctx.log(required ? "error" : "info", `No point-in-time drill: ${d.reason}.`);
    if (required) throw new DomainError("PRECONDITION", `A point-in-time drill is not possible for this host: ${d.reason}. It needs two backups and archived binlogs between them.`);
    return null;
  }
  const passed = d.checks.length > 0 && d.checks.every((c) => c.ok);
  await db().$transaction(async (tx) => {
    await tx.verification.create({ data: { backupId: d.newerBackupId!, runId: ctx.run.id, kind: "drill", result: passed ? "passed" : "failed", checks: JSON.stringify(d.checks), durationMs: d.durationMs } });
    if (!passed) await tx.backup.update({ where: { id: d.newerBackupId! }, data: { verifyState: "failed", verifiedAt: new Date() } });
    await recordAudit({ system: "runner" }, passed ? "drill.passed" : "drill.failed", { type: "host", id: hostId }, { run: ctx.run.id, older: d.olderBackupId, newer: d.newerBackupId }, tx);
  });
  for (const c of d.checks) ctx.log(c.ok ? "info" : "error", `${c.ok ? "✓" : "✗"} ${c.name} (${c.ms} ms): ${c.detail}`);
  return { passed, checks: d.checks, durationMs: d.durationMs, newer: d.newerBackupId, older: d.olderBackupId };
}

type Tx = Parameters<Parameters<ReturnType<typeof db>["$transaction"]>[0]>[0];

/**
 * Records a restore verification's outcome: the Verification row with every check, the backup's
 * verify state and the audit event. The embedded run and an agent's report both come through here
 * (an agent's inside the transaction that checks its fence).
 */
export async function recordRestoreVerification(client: Tx | ReturnType<typeof db>, o: { runId: string; backupId: string; result: VerifyResult; via: string }) {
  const all = o.result.checks;
  const passed = o.result.passed && all.length > 0;
  const write = async (tx: Tx) => {
    const row = await tx.verification.create({
      data: { backupId: o.backupId, runId: o.runId, kind: "restore", result: passed ? "passed" : "failed", checks: JSON.stringify(all), durationMs: o.result.durationMs },
    });
    await tx.backup.update({ where: { id: o.backupId }, data: { verifyState: passed ? "verified" : "failed", verifiedAt: new Date() } });
    await recordAudit({ system: o.via }, passed ? "verify.passed" : "verify.failed", { type: "backup", id: o.backupId }, { run: o.runId, failed: all.filter((c) => !c.ok).map((c) => c.name) }, tx);
    return row;
  };
  const verification = "$transaction" in client ? await (client as ReturnType<typeof db>).$transaction(write) : await write(client as Tx);
  return { verification, passed };
}

/** One log line per check, as the run log shows them. */
export function logChecks(ctx: { log: WorkContext["log"] }, checks: Check[]) {
  for (const c of checks) ctx.log(c.ok ? "info" : "error", `${c.ok ? (c.skipped ? "–" : "✓") : "✗"} ${c.name} (${c.ms} ms): ${c.detail}`);
}

/** The run's error when a check failed (the run fails, so it is notified). */
export function verificationFailed(backupId: string, checks: Check[]) {
  const failed = checks.filter((c) => !c.ok);
  return new DomainError("INVALID", `Verification of backup ${backupId} failed: ${failed.map((c) => `${c.name}: ${c.detail}`).join(" | ") || "no check ran"}`);
}

/** The backup a verify run is about: the one named, or the newest of the policy. */
export async function resolveBackup(p: VerifyParams) {
  if (p.backupId) return db().backup.findUnique({ where: { id: p.backupId } });
  if (p.policyId) return db().backup.findFirst({ where: { policyId: p.policyId, state: "complete" }, orderBy: { finishedAt: "desc" } });
  return null;
}

/**
 * The "verify" run: restores a backup into a throwaway server (or a verification host) and checks it,
 * recording a Verification with every check. A failed check fails the run (so it is notified) and
 * flags the backup everywhere it is shown.
 */
export const verifyRunKind: RunKind<VerifyParams> = {
  kind: "verify",
  async execute(ctx) {
    if (ctx.params.mode === "drill") {
      const hostId = ctx.params.hostId ?? ctx.run.hostId;
      if (!hostId) throw new DomainError("INVALID", "A drill needs a host.");
      const d = (await drillAndRecord(ctx, hostId, true))!;
      if (!d.passed) throw new DomainError("INVALID", `Point-in-time drill failed: ${d.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join(" | ")}`);
      return { drill: d };
    }
    const backup = await resolveBackup(ctx.params);
    if (!backup || backup.state !== "complete") {
      if (ctx.params.policyId && !ctx.params.backupId) {
        ctx.log("warn", "The policy has no backup to verify yet.");
        return { skipped: "no backup yet" };
      }
      throw new DomainError("NOT_FOUND", `Backup ${ctx.params.backupId} no longer exists.`);
    }
    await db().run.update({ where: { id: ctx.run.id }, data: { backupId: backup.id } });
    await openTargetStore(backup.targetId); // an unreachable target fails the run here (retryable), not as a failed check
    // a delta opens with its whole chain, checked link by link; verification restores all of it
    const vh = ctx.params.verificationHostId ? await db().host.findUnique({ where: { id: ctx.params.verificationHostId } }) : null;
    const open = async () => {
      if (ctx.params.verificationHostId && !vh?.isVerificationHost) throw new DomainError("PRECONDITION", "The chosen host is not marked as a verification host.");
      return openBackupReader(backup);
    };
    const result = await verifyOpenedSet(ctx, open, { manifestSha256: backup.manifestSha256, verificationHost: vh?.isVerificationHost ? hostAddress(vh) : null, verificationHostName: vh?.name, objectsOnly: ctx.params.objectsOnly });
    const { verification: v, passed } = await recordRestoreVerification(db(), { runId: ctx.run.id, backupId: backup.id, result, via: "runner" });
    logChecks(ctx, result.checks);
    if (!passed) throw verificationFailed(backup.id, result.checks);
    // scheduled verifications also drill point-in-time recovery when the host's archive allows it
    let drill = null;
    if (ctx.params.mode === "latest" && ctx.run.hostId && (await db().binlogSegment.count({ where: { hostId: ctx.run.hostId } }))) {
      drill = await drillAndRecord(ctx, ctx.run.hostId, false);
      if (drill && !drill.passed) throw new DomainError("INVALID", `The restore verification passed, but the point-in-time drill failed: ${drill.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join(" | ")}`);
    }
    return { verificationId: v.id, backupId: backup.id, passed, restoreMs: result.restoreMs, durationMs: v.durationMs, drill };
  },
};
