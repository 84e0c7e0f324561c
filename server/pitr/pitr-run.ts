import { db, parseJson } from "../db/client";
import type { WorkContext } from "../work-context";
import { DomainError } from "../errors";
import { withServer } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";
import { dropCreatedDatabases } from "../restore/drop-created";
import { getRestorer, type RestoreOutcome } from "../restore/registry";
import type { BackupSetReader } from "../artifact/backup-set-reader";
import { claimNewDatabases, openBackupReader, restoreDatadirInPlace, restoreTargetOf, type CreatedDatabases, type RestoreTargetHost, type WorkspaceContext } from "../restore/restore-into-host";
import type { RunKind } from "../runner/run-kinds";
import type { ReplaySource } from "./replay/types";
import { planHostPitr } from "./catalog-segments";
import { describeTarget, parseTarget, type PitrPlan } from "./plan";
import { formatPos, type BinlogPos } from "./positions";
import { planSources } from "./replay/catalog-sources";
import { replayBinlogs } from "./replay/replay-binlogs";
import type { StartPitrInput } from "./start-pitr";

export type PitrParams = StartPitrInput & { overOriginal?: boolean; physical?: boolean };

/** Whether this account may keep its session's writes out of the binlog (SUPER / BINLOG ADMIN). */
async function mayDisableBinlog(address: ServerAddress): Promise<boolean> {
  return withServer(address, async (c) => {
    try {
      await c.query("SET SESSION sql_log_bin = 0");
      return true;
    } catch {
      return false;
    }
  });
}

/** Progress of one phase of two, so the bar says which one runs. */
function phaseContext(ctx: WorkContext, label: string): WorkContext {
  return {
    signal: ctx.signal,
    log: ctx.log,
    progress: (p) => ctx.progress({ ...p, phase: `${label}${p.phase ? `: ${p.phase}` : ""}` }),
  };
}

/**
 * What the server decides for a point-in-time restore from the catalog before anything is
 * restored: the base backup, the databases, the binlog coordinates and the files to replay. Plain
 * data, so it can be sealed for the agent that executes the restore.
 */
export type PitrJob = {
  backupId: string;
  backupEngine: string;
  backupGtid: string | null;
  backupConsistentAt: string;
  sourceHost: string;
  from: BinlogPos;
  bytesToReplay: number;
  segments: { file: string; start: number; end: number; live: boolean }[];
  /** source databases restored (and replayed) */
  chosen: string[];
  /** every database of the base backup */
  inBackup: string[];
  /** databases created by the binlogs after the backup are restored too */
  followCreated: boolean;
};

/**
 * Plans a point-in-time restore at run time from the catalog (the newest backup before the target
 * that connects to it through archived binlogs without a gap), checks the databases against that
 * backup, and names the base backup on the run.
 */
export async function planPitrRun(ctx: WorkContext, runId: string, p: PitrParams) {
  const source = await db().host.findUnique({ where: { id: p.hostId } });
  if (!source) throw new DomainError("NOT_FOUND", "The source host of this point-in-time restore was deleted.");
  const targetHost = await db().host.findUnique({ where: { id: p.targetHostId } });
  if (!targetHost) throw new DomainError("NOT_FOUND", "The target host was deleted.");

  ctx.progress({ phase: "planning" });
  const target = parseTarget(p);
  // planned (coverage of the base backup's coordinates through to the target checked) before anything is restored
  let plan: PitrPlan;
  try {
    plan = await planHostPitr(source.id, target);
  } catch (e) {
    if (e instanceof DomainError) throw new DomainError(e.code, `${e.message} Nothing was restored.`);
    throw e;
  }
  ctx.log("info", `Plan: ${plan.summary} ${plan.bytesToReplay} bytes of binlogs (${plan.segments.map((s) => `${s.file}:${s.startPosition}-${s.endPosition}${s.live ? " (archiver's live tail)" : ""}`).join(", ")}).`);
  for (const s of plan.skipped) ctx.log("info", `Not using backup ${s.id}: ${s.reason}.`);

  const backup = await db().backup.findUnique({ where: { id: plan.backup.id } });
  if (!backup || backup.state !== "complete") throw new DomainError("NOT_FOUND", `Backup ${plan.backup.id} no longer exists.`);
  await db().run.update({ where: { id: runId }, data: { backupId: backup.id } });
  const inBackup = parseJson<string[]>(backup.databases, []);
  // every database of the backup, listed or not, is a whole restore: databases created later by the binlogs follow
  const subset = p.databases.length > 0 && !inBackup.every((d) => p.databases.includes(d));
  const chosen = subset ? p.databases : inBackup;
  const missing = chosen.filter((d) => !inBackup.includes(d));
  if (missing.length) throw new DomainError("PRECONDITION", `Backup ${backup.id} (chosen for ${describeTarget(target)}) does not hold ${missing.join(", ")}; it holds ${inBackup.join(", ") || "no databases"}.`, { field: "databases" });

  // Databases created after the backup (CREATE DATABASE in the binlogs) belong to the restore only
  // when the backup was of the whole server and nothing is renamed: a backup of some databases, or a
  // copy under new names next to the live ones, must not recreate the server's other databases.
  const run = backup.runId ? await db().run.findUnique({ where: { id: backup.runId }, select: { params: true } }) : null;
  const wholeServer = parseJson<{ databases?: string[] }>(run?.params, {}).databases?.length === 0;
  const followCreated = !p.physical && !subset && wholeServer && Object.keys(p.rename).length === 0;
  const job: PitrJob = {
    backupId: backup.id,
    backupEngine: backup.engine,
    backupGtid: backup.gtid,
    backupConsistentAt: plan.backup.consistentAt.toISOString(),
    sourceHost: source.name,
    from: plan.from,
    bytesToReplay: plan.bytesToReplay,
    segments: plan.segments.map((s) => ({ file: s.file, start: s.startPosition, end: s.endPosition, live: !!s.live })),
    chosen,
    inBackup,
    followCreated,
  };
  return { job, plan, backup, source, targetHost };
}

/**
 * The restore of a planned point-in-time restore, as the embedded runner and a runner agent both do
 * it: the base backup (opened) through the restorer of its layout, then the binlogs (sources)
 * replayed from the backup's coordinates up to the target, with the same renames and database
 * subset. New databases are recorded (the workspace) before they are created.
 */
export async function pitrFromPlan(ctx: WorkspaceContext, o: { reader: BackupSetReader; sources: ReplaySource[]; targetHost: RestoreTargetHost; params: PitrParams; job: PitrJob; startedAt: number }) {
  const { reader, sources, targetHost, params: p, job } = o;
  const target = parseTarget(p);
  const address = targetHost.address;
  const { chosen } = job;
  let base: RestoreOutcome;
  const baseCtx = phaseContext(ctx, "1/2 base backup");
  if (p.physical) {
    base = await restoreDatadirInPlace(baseCtx, { reader, backupId: job.backupId, targetHost, parallel: p.parallel, startCommand: p.startCommand });
  } else {
    await claimNewDatabases(ctx, { address, targetHost, names: chosen.map((d) => p.rename[d] ?? d), dropExisting: p.dropExisting });
    ctx.log("info", `Restoring backup ${job.backupId} (${reader.manifest.layout}, consistent at ${job.backupConsistentAt}) into ${targetHost.name}: ${chosen.map((d) => (p.rename[d] && p.rename[d] !== d ? `${d} -> ${p.rename[d]}` : d)).join(", ")}.`);
    const request = { reader, target: address, rename: p.rename, databases: chosen, parallel: p.parallel, dropExisting: p.dropExisting };
    // The replay keeps its transactions out of the target's binlog unless asked (see
    // ReplayConnection); the base restore must do the same, or the target's replicas (and its own
    // archive) would get the base without the changes replayed on top of it.
    const writeBinlog = p.writeBinlog || !(await mayDisableBinlog(address));
    base = await getRestorer(reader.manifest.layout)(baseCtx, { ...request, writeBinlog });
  }
  ctx.log("info", `Base restored: ${base.tables} tables, ${base.rows} rows in ${Math.round(base.ms / 100) / 10} s. Replaying binlogs from ${formatPos(job.from)} to ${describeTarget(target)}.`);

  const replay = await replayBinlogs(phaseContext(ctx, "2/2 binlogs"), {
    target: address,
    sources,
    from: job.from,
    until: target,
    skipGtids: p.skipGtid ? [p.skipGtid] : undefined,
    // a physical restore brings the whole server back: every database is replayed
    databases: p.physical ? undefined : chosen,
    followCreatedDatabases: job.followCreated,
    rename: p.physical ? {} : p.rename,
    knownDatabases: job.inBackup,
    fromGtid: job.backupGtid,
    bytesTotal: job.bytesToReplay,
    writeBinlog: p.writeBinlog,
    phase: "replaying",
  });
  ctx.log(
    "info",
    `Replayed ${replay.transactions} transaction(s) (${replay.skippedTransactions} more changed nothing in the restored databases) in ${Math.round(replay.ms / 100) / 10} s, ${replay.mbPerSecond} MB/s; ${targetHost.name} is now at ${formatPos(replay.position)}${replay.lastGtid ? ` (GTID ${replay.lastGtid})` : ""}${replay.lastCommitAt ? `, last commit ${replay.lastCommitAt}` : ""}.`,
  );
  return {
    backupId: job.backupId,
    backupEngine: job.backupEngine,
    backupConsistentAt: job.backupConsistentAt,
    sourceHost: job.sourceHost,
    targetHost: targetHost.name,
    target: describeTarget(target),
    databases: chosen.map((d) => p.rename[d] ?? d),
    segments: job.segments,
    base: { tables: base.tables, rows: base.rows, bytes: base.bytes, ms: base.ms },
    replay: {
      from: job.from,
      transactions: replay.transactions,
      skippedTransactions: replay.skippedTransactions,
      statements: replay.statements,
      events: replay.events,
      bytes: replay.bytes,
      stoppedBy: replay.stoppedBy,
      position: replay.position,
      lastGtid: replay.lastGtid,
      gtidState: replay.gtidState,
      lastCommitAt: replay.lastCommitAt,
      binlogDisabled: replay.binlogDisabled,
      ms: replay.ms,
      mbPerSecond: replay.mbPerSecond,
    },
    ms: Date.now() - o.startedAt,
  };
}

/**
 * The "pitr" run: a point-in-time restore. It plans at run time (planPitrRun), restores that
 * backup and replays the archived binlogs up to the target (pitrFromPlan). Databases it created are
 * dropped again if it fails or is cancelled, so a failed PITR leaves nothing half-restored behind.
 */
export const pitrRunKind: RunKind<PitrParams> = {
  kind: "pitr",
  async execute(ctx) {
    const t0 = Date.now();
    const { job, plan, backup, source, targetHost } = await planPitrRun(ctx, ctx.run.id, ctx.params);
    const reader = await openBackupReader(backup);
    const sources = await planSources(source.id, plan);
    return pitrFromPlan(ctx, { reader, sources, targetHost: restoreTargetOf(targetHost), params: ctx.params, job, startedAt: t0 });
  },

  recover: (_run, ws) => dropCreatedDatabases(ws as Partial<CreatedDatabases>),
};
