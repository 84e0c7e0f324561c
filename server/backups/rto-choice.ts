import type { BackupKind, ChainBase } from "../artifact/chain";
import { db } from "../db/client";
import { formatDuration } from "../util/format";
import type { WorkContext } from "../work-context";
import { chainBytes, measuredRates, predictRestore } from "./restore-prediction";

/**
 * A policy's restore-time objective applied to its next scheduled backup: an incremental whose
 * chain is predicted (from this host's own measurements) to restore slower than the RTO becomes a
 * differential, and when even the differential would exceed it, a full. The new delta's size is
 * estimated by its base's (the newest delta); without measurements, nothing changes.
 */
export async function kindWithinRto(ctx: WorkContext, o: { hostId: string; kind: BackupKind; base: ChainBase | null; rtoSeconds: number | null }): Promise<BackupKind> {
  if (!o.rtoSeconds || o.kind !== "incremental" || !o.base) return o.kind;
  const rates = await measuredRates(o.hostId);
  const parent = await chainBytes(o.base.parent.id);
  const parentRow = await db().backup.findUnique({ where: { id: o.base.parent.id }, select: { sizeBytes: true } });
  const nextDelta = Number(parentRow?.sizeBytes ?? 0n);
  const incr = predictRestore(rates, { links: parent.links + 1, bytes: parent.bytes + (o.base.parent.depth > 0 ? nextDelta : 0) });
  const rto = o.rtoSeconds * 1000;
  if (incr.ms === null) {
    ctx.log("info", `RTO ${formatDuration(rto)}: ${incr.basis}; taking the incremental as scheduled.`);
    return "incremental";
  }
  if (incr.ms <= rto) {
    ctx.log("info", `Predicted restore of this incremental: ${formatDuration(incr.ms)} (${incr.basis}), within the policy's RTO of ${formatDuration(rto)}.`);
    return "incremental";
  }
  // a differential restores as the full plus one delta: the changes since the full, estimated by the
  // newest differential of this full plus one more delta, or (none yet) by all the chain's deltas, its upper bound
  const full = await db().backup.findUnique({ where: { id: o.base.parent.rootId }, select: { sizeBytes: true } });
  const fullBytes = Number(full?.sizeBytes ?? 0n);
  const lastDiff = await db().backup.findFirst({ where: { parentBackupId: o.base.parent.rootId, backupKind: "differential", state: "complete" }, orderBy: { finishedAt: "desc" }, select: { sizeBytes: true } });
  const diffBytes = lastDiff ? Number(lastDiff.sizeBytes) + nextDelta : Math.max(0, parent.bytes - fullBytes) + nextDelta;
  const diff = predictRestore(rates, { links: 2, bytes: fullBytes + diffBytes });
  if (diff.ms !== null && diff.ms <= rto) {
    ctx.log("warn", `Predicted restore of another incremental: ${formatDuration(incr.ms)}, over the policy's RTO of ${formatDuration(rto)}: taking a differential instead (predicted ${formatDuration(diff.ms)}).`);
    return "differential";
  }
  ctx.log("warn", `Predicted restore of another incremental: ${formatDuration(incr.ms)}, and of a differential ${diff.ms === null ? "unknown" : formatDuration(diff.ms)}, both over the policy's RTO of ${formatDuration(rto)}: taking a full backup instead.`);
  return "full";
}
