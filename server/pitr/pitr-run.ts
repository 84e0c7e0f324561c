import { db, parseJson } from "../db/client";
import type { WorkContext } from "../work-context";
import { DomainError } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { withServer } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";
import { dropCreatedDatabases } from "../restore/drop-created";
import { getRestorer, type RestoreOutcome } from "../restore/registry";
import { claimNewDatabases, openBackupReader, restoreDatadirInPlace, restoreTargetOf, type CreatedDatabases } from "../restore/restore-into-host";
import type { RunContext, RunKind } from "../runner/run-kinds";
import { planHostPitr } from "./catalog-segments";
import { describeTarget, parseTarget, type PitrPlan } from "./plan";
import { formatPos } from "./positions";
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
function phaseContext(ctx: RunContext<PitrParams>, label: string): WorkContext {
  return {
    signal: ctx.signal,
    log: ctx.log,
    progress: (p) => ctx.progress({ ...p, phase: `${label}${p.phase ? `: ${p.phase}` : ""}` }),
  };
}

/**
 * The "pitr" run: a point-in-time restore. It plans at run time (the newest backup before the
 * target that connects to it through archived binlogs without a gap), restores that backup through
 * the restorer of its layout, then replays the archived binlogs from the backup's coordinates up to
 * the target, with the same renames and database subset. Databases it created are dropped again if
 * it fails or is cancelled, so a failed PITR leaves nothing half-restored behind.
 */
export const pitrRunKind: RunKind<PitrParams> = {
  kind: "pitr",
  async execute(ctx) {
    const t0 = Date.now();
    const p = ctx.params;
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
    await db().run.update({ where: { id: ctx.run.id }, data: { backupId: backup.id } });
    const inBackup = parseJson<string[]>(backup.databases, []);
    // every database of the backup, listed or not, is a whole restore: databases created later by the binlogs follow
    const subset = p.databases.length > 0 && !inBackup.every((d) => p.databases.includes(d));
    const chosen = subset ? p.databases : inBackup;
    const missing = chosen.filter((d) => !inBackup.includes(d));
    if (missing.length) throw new DomainError("PRECONDITION", `Backup ${backup.id} (chosen for ${describeTarget(target)}) does not hold ${missing.join(", ")}; it holds ${inBackup.join(", ") || "no databases"}.`, { field: "databases" });

    const reader = await openBackupReader(backup);
    const address = hostAddress(targetHost);
    const sources = await planSources(source.id, plan);

    let base: RestoreOutcome;
    const baseCtx = phaseContext(ctx, "1/2 base backup");
    if (p.physical) {
      base = await restoreDatadirInPlace(baseCtx, { reader, backupId: backup.id, targetHost: restoreTargetOf(targetHost), parallel: p.parallel, startCommand: p.startCommand });
    } else {
      await claimNewDatabases(ctx, { address, targetHost, names: chosen.map((d) => p.rename[d] ?? d), dropExisting: p.dropExisting });
      ctx.log("info", `Restoring backup ${backup.id} (${reader.manifest.layout}, consistent at ${plan.backup.consistentAt.toISOString()}) into ${targetHost.name}: ${chosen.map((d) => (p.rename[d] && p.rename[d] !== d ? `${d} -> ${p.rename[d]}` : d)).join(", ")}.`);
      const request = { reader, target: address, rename: p.rename, databases: chosen, parallel: p.parallel, dropExisting: p.dropExisting };
      // The replay keeps its transactions out of the target's binlog unless asked (see
      // ReplayConnection); the base restore must do the same, or the target's replicas (and its own
      // archive) would get the base without the changes replayed on top of it.
      const writeBinlog = p.writeBinlog || !(await mayDisableBinlog(address));
      base = await getRestorer(reader.manifest.layout)(baseCtx, { ...request, writeBinlog });
    }
    ctx.log("info", `Base restored: ${base.tables} tables, ${base.rows} rows in ${Math.round(base.ms / 100) / 10} s. Replaying binlogs from ${formatPos(plan.from)} to ${describeTarget(target)}.`);

    // Databases created after the backup (CREATE DATABASE in the binlogs) belong to the restore only
    // when the backup was of the whole server and nothing is renamed: a backup of some databases, or a
    // copy under new names next to the live ones, must not recreate the server's other databases.
    const run = backup.runId ? await db().run.findUnique({ where: { id: backup.runId }, select: { params: true } }) : null;
    const wholeServer = parseJson<{ databases?: string[] }>(run?.params, {}).databases?.length === 0;
    const followCreated = !p.physical && !subset && wholeServer && Object.keys(p.rename).length === 0;
    const replay = await replayBinlogs(phaseContext(ctx, "2/2 binlogs"), {
      target: address,
      sources,
      from: plan.from,
      until: target,
      skipGtids: p.skipGtid ? [p.skipGtid] : undefined,
      // a physical restore brings the whole server back: every database is replayed
      databases: p.physical ? undefined : chosen,
      followCreatedDatabases: followCreated,
      rename: p.physical ? {} : p.rename,
      knownDatabases: inBackup,
      fromGtid: backup.gtid,
      bytesTotal: plan.bytesToReplay,
      writeBinlog: p.writeBinlog,
      phase: "replaying",
    });
    ctx.log(
      "info",
      `Replayed ${replay.transactions} transaction(s) (${replay.skippedTransactions} more changed nothing in the restored databases) in ${Math.round(replay.ms / 100) / 10} s, ${replay.mbPerSecond} MB/s; ${targetHost.name} is now at ${formatPos(replay.position)}${replay.lastGtid ? ` (GTID ${replay.lastGtid})` : ""}${replay.lastCommitAt ? `, last commit ${replay.lastCommitAt}` : ""}.`,
    );
    return {
      backupId: backup.id,
      backupEngine: backup.engine,
      backupConsistentAt: plan.backup.consistentAt.toISOString(),
      sourceHost: source.name,
      targetHost: targetHost.name,
      target: describeTarget(target),
      databases: chosen.map((d) => p.rename[d] ?? d),
      segments: plan.segments.map((s) => ({ file: s.file, start: s.startPosition, end: s.endPosition, live: !!s.live })),
      base: { tables: base.tables, rows: base.rows, bytes: base.bytes, ms: base.ms },
      replay: {
        from: plan.from,
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
      ms: Date.now() - t0,
    };
  },

  recover: (_run, ws) => dropCreatedDatabases(ws as Partial<CreatedDatabases>),
};
