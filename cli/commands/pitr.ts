import fs from "node:fs";
import path from "node:path";
import type { BackupSetReader } from "../../server/artifact/backup-set-reader";
import type { WorkContext } from "../../server/work-context";
import { DomainError, errorMessage } from "../../server/errors";
import type { ServerAddress } from "../../server/mysql/connection-options";
import { consistentBeforeTime, describeTarget, parseTarget, type PitrTarget } from "../../server/pitr/plan";
import { comparePos, formatPos } from "../../server/pitr/positions";
import { archiveSourcesFrom, checkArchiveReaches, directorySources, replayBinlogs } from "../../server/pitr/replay";
import { isPhysicalLayout } from "../../server/restore/physical/physical-object";
import { LocalStore } from "../../server/storage/local-store";
import { parseS3Url } from "../../server/storage/s3-store";
import { formatBytes } from "../../server/util/format";
import { isS3, s3Store, type S3Flags } from "../locations";
import { UsageError } from "../usage";

export type { PitrTarget };

/** --until / --until-gtid / --until-position, checked before anything runs. */
export function parsePitrTarget(f: { until?: string; untilGtid?: string; untilPosition?: string }): PitrTarget {
  if (f.until && !/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(f.until.trim())) {
    throw new UsageError(`--until ${f.until}: not a time; use ISO 8601 like 2026-11-23T14:05:00Z (without a zone it is this machine's local time)`);
  }
  try {
    return parseTarget(f);
  } catch (e) {
    throw new UsageError(errorMessage(e));
  }
}

export type ReplayRequest = {
  reader: BackupSetReader;
  target: ServerAddress;
  rename: Record<string, string>;
  databases: string[];
  binlogs: string;
  until: PitrTarget;
  s3: S3Flags;
};

/**
 * The second half of a point-in-time restore: the archived binlogs at `binlogs` (a binlog-stream
 * directory or S3 prefix, or plain binlog files copied from the server) are replayed on the
 * target from the base backup's coordinates up to the target. For a logical base only the
 * restored databases are replayed (under their new names), so a renamed copy next to the source
 * never touches the source.
 */
/** Whether a backup can be the base of a replay to this target; checked before restoring anything. */
export function checkPitrBase(reader: BackupSetReader, until: PitrTarget) {
  const m = reader.manifest;
  if (!m.coordinates) {
    throw new DomainError("PRECONDITION", `Backup ${m.id} has no binlog coordinates (binary logging was off when it was taken), so binlogs cannot be replayed after it: use a backup taken with log_bin on.`);
  }
  if ("time" in until && !consistentBeforeTime(new Date(m.startedAt), until.time)) {
    throw new DomainError("PRECONDITION", `The target ${describeTarget(until)} is before backup ${m.id} was taken (${m.startedAt}): restore an older backup, then replay to that time.`);
  }
  if ("position" in until && comparePos(until.position, m.coordinates) < 0) {
    throw new DomainError("PRECONDITION", `The target ${formatPos(until.position)} is before backup ${m.id}'s coordinates (${formatPos(m.coordinates)}): restore an older backup.`);
  }
}

/**
 * The archived binlogs from the base backup's coordinates on. Throws, with what to do, when the
 * archive does not reach back to those coordinates (it was started after the backup was taken).
 */
async function archiveSources(reader: BackupSetReader, binlogs: string, s3: S3Flags) {
  const m = reader.manifest;
  const from = { file: m.coordinates!.file, position: m.coordinates!.position };
  if (isS3(binlogs)) {
    const { bucket, prefix } = parseS3Url(binlogs);
    return { from, sources: await archiveSourcesFrom(s3Store(bucket, s3), prefix, from) };
  }
  const dir = path.resolve(binlogs);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new DomainError("NOT_FOUND", `--binlogs ${dir}: no such directory (give the directory binlog-stream --output wrote, or s3://bucket/prefix/).`);
  return { from, sources: await directorySources(dir, from, new LocalStore(dir)) };
}

/**
 * Everything a point-in-time restore can check before it restores anything: the backup can be a
 * base for the target, and the archive covers the backup's coordinates (the replay would otherwise
 * fail only after the base was restored).
 */
export async function checkPitrRestore(reader: BackupSetReader, until: PitrTarget, binlogs: string, s3: S3Flags) {
  checkPitrBase(reader, until);
  const { from } = await archiveSources(reader, binlogs, s3);
  if (isS3(binlogs)) {
    const { bucket, prefix } = parseS3Url(binlogs);
    await checkArchiveReaches(s3Store(bucket, s3), prefix, from, until);
  } else {
    const dir = path.resolve(binlogs);
    if (fs.readdirSync(dir).some((n) => n.endsWith(".meta.json"))) await checkArchiveReaches(new LocalStore(dir), "", from, until);
  }
}

export async function replayArchive(ctx: WorkContext, r: ReplayRequest): Promise<Record<string, unknown>> {
  const m = r.reader.manifest;
  checkPitrBase(r.reader, r.until);
  // listed again: a running archiver may have shipped more since the check before the restore
  const { from, sources } = await archiveSources(r.reader, r.binlogs, r.s3);
  const restored = r.databases.length ? r.databases : m.databases.map((d) => d.name);
  ctx.log("info", `Replaying binlogs from ${formatPos(from)} (${sources.length} file${sources.length === 1 ? "" : "s"} in ${r.binlogs}) up to ${describeTarget(r.until)}.`);
  const res = await replayBinlogs(ctx, {
    target: r.target,
    sources,
    from,
    until: r.until,
    databases: isPhysicalLayout(m.layout) ? undefined : restored,
    rename: r.rename,
    knownDatabases: m.databases.map((d) => d.name),
    fromGtid: m.coordinates!.gtid,
    flavor: m.server.flavor === "mariadb" ? "mariadb" : "mysql",
    bytesTotal: sources.reduce((n, s) => n + (s.size ?? 0), 0),
  });
  if (res.stoppedBy === "end" && !("time" in r.until && res.lastCommitAt && new Date(res.lastCommitAt) >= r.until.time)) {
    ctx.log("warn", `The archive ends at ${formatPos(res.position)}${res.lastCommitAt ? ` (last commit ${res.lastCommitAt})` : ""}, before the target ${describeTarget(r.until)} was reached: the data is as of the end of the archive.`);
  }
  return {
    target: describeTarget(r.until),
    transactions: res.transactions,
    skipped: res.skippedTransactions,
    statements: res.statements,
    binlogBytes: formatBytes(res.bytes),
    stoppedBy: res.stoppedBy === "target" ? "the target" : "the end of the archive",
    position: formatPos(res.position),
    lastCommitAt: res.lastCommitAt,
    gtid: res.gtidState ?? res.lastGtid,
    ...(res.incompleteTail ? { incompleteTail: `${res.incompleteTail.file}:${res.incompleteTail.position} (a transaction cut off by the end of the archive, not applied)` } : {}),
  };
}
