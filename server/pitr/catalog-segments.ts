import { archiveWorkDir } from "../archive-runs/archive-run";
import { readState } from "../binlog/archive-state";
import { db } from "../db/client";
import type { CoverageSegment } from "./coverage";
import { planPitr, type PitrPlan, type PitrTarget, type PlanBackup } from "./plan";
import { chainBytes, measuredRates, predictRestore, type RestorePrediction } from "../backups/restore-prediction";

/** The host's archived segments as coverage input, plus the archiver's durable tail when it is running. */
export async function coverageSegments(hostId: string): Promise<CoverageSegment[]> {
  const rows = await db().binlogSegment.findMany({ where: { hostId }, orderBy: [{ fileName: "asc" }, { startPos: "asc" }] });
  const segs: CoverageSegment[] = rows.map((s) => ({
    id: s.id,
    file: s.fileName,
    startPosition: Number(s.startPos),
    endPosition: Number(s.endPos),
    firstEventAt: s.firstEventAt,
    lastEventAt: s.lastEventAt,
    gtidFirst: s.gtidStart,
    gtidLast: s.gtidEnd,
    gtidStateEnd: s.gtidStateEnd,
    endedBy: s.endedBy,
    fileComplete: s.fileComplete,
    serverIds: s.serverId === null ? [] : [s.serverId],
    size: Number(s.sizeBytes),
  }));
  const st = await db().archiverState.findUnique({ where: { hostId } });
  // an archive on a runner agent keeps its working directory on the agent's machine: its live tail is not readable here
  const onAgent = !!(await db().host.findUnique({ where: { id: hostId }, select: { agentId: true } }))?.agentId;
  if (st && st.status === "running" && !onAgent) {
    // the archiver's durable but not yet shipped segments (closed ones waiting and the open one),
    // read from its working directory: the runner lives in this process's machine
    const state = await readState(archiveWorkDir(hostId)).catch(() => null);
    const local = [...(state?.pending ?? []), ...(state?.current ? [state.current] : [])];
    const shipped = new Set(segs.map((x) => `${x.file}@${x.startPosition}`));
    for (const l of local) {
      if (shipped.has(`${l.file}@${l.startPosition}`) || l.endPosition <= l.startPosition) continue;
      const open = l === state?.current;
      segs.push({
        id: `live:${hostId}:${l.file}:${l.startPosition}`,
        file: l.file,
        startPosition: l.startPosition,
        endPosition: l.endPosition,
        firstEventAt: l.stats.firstEventTs === null ? null : new Date(l.stats.firstEventTs * 1000),
        // caught up (lag 0): every event the server had when the status was written is archived
        lastEventAt: open && st.lagSeconds === 0 ? st.updatedAt : l.stats.lastEventTs === null ? null : new Date(l.stats.lastEventTs * 1000),
        gtidFirst: l.stats.gtidFirst,
        gtidLast: l.stats.gtidLast,
        gtidStateEnd: l.stats.gtidStateEnd,
        endedBy: l.endedBy ?? "shutdown",
        fileComplete: l.fileComplete ?? false,
        serverIds: l.stats.serverIds,
        size: l.endPosition - l.startPosition,
        live: true,
      });
    }
  }
  return segs;
}

export async function planBackups(hostId: string): Promise<PlanBackup[]> {
  // a backup whose chain lost a link cannot be a base (the newest restorable chain member is)
  const rows = await db().backup.findMany({ where: { hostId, state: "complete", chainBroken: null }, orderBy: { finishedAt: "desc" } });
  return rows.map((b) => ({
    id: b.id,
    consistentAt: b.consistentAt ?? b.finishedAt,
    file: b.binlogFile,
    position: b.binlogPos === null ? null : Number(b.binlogPos),
    gtid: b.gtid,
    engine: b.engine,
    sizeBytes: Number(b.sizeBytes),
    verifyState: b.verifyState,
    ...(b.toLsn ? { chain: { kind: b.backupKind, parentId: b.parentBackupId, fromLsn: b.fromLsn, toLsn: b.toLsn } } : {}),
  }));
}

/** The plan for a target on a host, from the catalog's backups and archived coverage. */
export async function planHostPitr(hostId: string, target: PitrTarget): Promise<PitrPlan> {
  return planPitr({ target, backups: await planBackups(hostId), segments: await coverageSegments(hostId) });
}

/**
 * The plan as the restore dialog shows it: with the predicted restore time of a physical base
 * (its chain at this host's measured restore speed, plus the binlog bytes at its measured replay
 * speed; restore-prediction.ts). Logical bases have no prediction (null).
 */
export async function previewHostPitr(hostId: string, target: PitrTarget): Promise<PitrPlan & { predicted: RestorePrediction | null }> {
  const plan = await planHostPitr(hostId, target);
  const row = await db().backup.findUnique({ where: { id: plan.backup.id }, select: { format: true } });
  const physical = row?.format === "xbstream" || row?.format === "tar";
  const predicted = physical ? predictRestore(await measuredRates(hostId), await chainBytes(plan.backup.id), plan.bytesToReplay) : null;
  return { ...plan, predicted };
}
