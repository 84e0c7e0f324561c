import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { runArchiver, type ArchiveStart, type ArchiverStatus, type SegmentMeta } from "../../server/binlog";
import { serializeSegmentMeta } from "../../server/binlog/segment-meta";
import { normalizeStorePrefix, segmentKey, segmentMetaKey } from "../../server/binlog/segment-naming";
import { parseDuration, parseSize, type BinlogTargetConfig } from "../../server/config-file";
import { DomainError } from "../../server/errors";
import { queryRows, withServer } from "../../server/mysql/connect";
import { describeAddress, type ServerAddress } from "../../server/mysql/connection-options";
import { gatherInfo } from "../../server/backup-pipeline/gather-info";
import { LocalStore } from "../../server/storage/local-store";
import type { ObjectStore } from "../../server/storage/object-store";
import { parseS3Url } from "../../server/storage/s3-store";
import { configOf, given, parseIntFlag, pick, withCommonFlags } from "../common";
import { addressFromCommand, withConnectionFlags } from "../connection";
import { s3FromCommand, s3Store, withS3Flags, type S3Flags } from "../locations";
import { UsageError, usage } from "../usage";
import { terminalContext } from "../work-context";

/** Where an archive lives: the store the archiver ships to, and the key prefix in it. */
type ArchiveTarget = { store: ObjectStore; prefix: string; display: string };

type Plan = {
  server: ServerAddress;
  primary: ArchiveTarget;
  /** a second target every shipped segment is copied to (a file target plus an S3 target) */
  mirror: ArchiveTarget | null;
  workDir: string;
  serverId?: number;
  gtid: boolean;
  start: ArchiveStart | null;
  compress: boolean;
  rotateSize?: number;
  checkpointIntervalMs?: number;
  quiet: boolean;
  json: boolean;
};

/** The working directory of an S3-only archive: one per bucket/prefix and server. */
function defaultWorkDir(s3url: string, server: ServerAddress): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  const id = crypto.createHash("sha256").update(`${s3url}|${describeAddress(server)}`).digest("hex").slice(0, 12);
  const readable = s3url.replace(/^s3:\/\//, "").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/_+$/, "");
  return path.join(base, "dbbackup", "binlog", `${readable}-${id}`);
}

export function parseStart(v: string): ArchiveStart {
  if (v === "oldest" || v === "current") return v;
  const pos = /^(.+\.\d+):(\d+)$/.exec(v);
  if (pos) return { file: pos[1]!, position: Number(pos[2]) };
  if (/^\d+-\d+-\d+(,\d+-\d+-\d+)*$/.test(v) || /^[0-9a-f]{8}-[0-9a-f-]{27}:[\d:,-]+/i.test(v)) return { gtid: v };
  throw new UsageError(`--start ${v}: use oldest, current, FILE:POS (e.g. binlog.000042:4) or a GTID (e.g. 0-1-1234)`);
}

export function registerBinlogCommands(program: Command) {
  const cmd = program
    .command("binlog-stream")
    .description("archive the server's binlogs continuously as a replica (byte-identical files, checkpoints, resume with no gap) until stopped")
    .option("--output <dir>", "keep the archive in this directory")
    .option("--target <s3url>", "ship the archive to s3://bucket/prefix/ (with --output: copy it there too)")
    .option("--gtid", "without --start: start a new archive at the GTID position of the oldest binlog the server still has (GTIDs must be on), covering the base backups taken before it like the default start")
    .option("--server-id <n>", "replica server id, unique among all replicas (default 99999)", parseIntFlag("--server-id", 1, 4294967295))
    .option("--rotate-size <bytes>", "close and ship a segment after this many bytes (e.g. 256M) even if the server has not rotated", (v) => {
      const n = parseSize(v);
      if (n === null || n < 4096) throw new UsageError(`--rotate-size ${v}: a size of at least 4096 bytes, like 1G`);
      return n;
    })
    .option(
      "--start <where>",
      "where a new archive begins: oldest | current | FILE:POS | GTID (default: oldest, the oldest binlog the server still has, so the archive covers every base backup taken before it whose binlogs are still on the server; current archives only what is written from now on; FILE:POS e.g. FILE:4, the start of the binlog holding a base backup's coordinates (status --from shows them); a resumed archive continues from its checkpoint and ignores this)",
    )
    .option("--compress", "zstd-compress archived segments (mariadb-binlog then needs zstd -dc first)")
    .option("--work-dir <dir>", "working directory (open segment and checkpoint); default: <output>/.dbbackup-work, or under ~/.cache/dbbackup for S3")
    .option("--checkpoint-interval <duration>", "longest time between durable checkpoints while events arrive (default 250ms)", (v) => {
      const n = parseDuration(v);
      if (n === null || n <= 0) throw new UsageError(`--checkpoint-interval ${v}: a duration like 250ms or 30s`);
      return n;
    });
  withConnectionFlags(cmd);
  withS3Flags(cmd);
  withCommonFlags(cmd);
  cmd.action(async (_o, c: Command) => runStream(await usage(() => resolvePlan(c))));
}

function s3Archive(url: string, s3: S3Flags): ArchiveTarget {
  const { bucket, prefix } = parseS3Url(url);
  const store = s3Store(bucket, s3);
  const p = normalizeStorePrefix(prefix);
  return { store, prefix: p, display: store.describe(p) };
}

function resolvePlan(c: Command): Plan {
  const cfg = configOf(c);
  const b = cfg.backup?.binlog ?? {};
  const targets = b.targets ?? [];
  const fileCfg = targets.find((t): t is Extract<BinlogTargetConfig, { type: "file" }> => t.type === "file");
  const s3Cfg = targets.find((t): t is Extract<BinlogTargetConfig, { type: "s3" }> => t.type === "s3");
  const outputDir = pick<string | undefined>(c, "output", fileCfg?.path);
  const s3Url = pick<string | undefined>(c, "target", s3Cfg ? `s3://${s3Cfg.bucket}/${s3Cfg.prefix ?? ""}` : undefined);
  if (!outputDir && !s3Url) throw new UsageError("binlog-stream needs --output DIR or --target s3://bucket/prefix/ (or backup.binlog.targets in the config file)");
  if (s3Url && !s3Url.startsWith("s3://")) throw new UsageError(`--target ${s3Url}: give s3://bucket/prefix/ (a local directory is --output)`);
  if (outputDir?.startsWith("s3://")) throw new UsageError(`--output ${outputDir}: an S3 archive is --target s3://bucket/prefix/`);
  const server = addressFromCommand(c, cfg);
  const s3 = s3FromCommand(c, cfg);
  if (s3Cfg && !given(c, "target")) {
    s3.s3Region ??= s3Cfg.region;
    s3.s3Endpoint ??= s3Cfg.endpoint;
    s3.s3PathStyle ??= s3Cfg.path_style;
  }
  const local: ArchiveTarget | null = outputDir ? { store: new LocalStore(path.resolve(outputDir)), prefix: "", display: path.resolve(outputDir) + "/" } : null;
  const remote = s3Url ? s3Archive(s3Url, s3) : null;
  const primary = (local ?? remote)!;
  const primaryCfg = local ? fileCfg : s3Cfg;
  const startFlag = pick<string | undefined>(c, "start", b.start);
  const workDir = pick<string | undefined>(c, "workDir", b.work_dir) ?? (local ? path.join(path.resolve(outputDir!), ".dbbackup-work") : defaultWorkDir(s3Url!, server));
  return {
    server,
    primary,
    mirror: local && remote ? remote : null,
    workDir: path.resolve(workDir),
    serverId: pick<number | undefined>(c, "serverId", b.server_id),
    gtid: pick<boolean | undefined>(c, "gtid", b.use_gtid) ?? false,
    start: startFlag ? parseStart(startFlag) : null,
    compress: given(c, "compress") ? true : (primaryCfg?.compress ?? false),
    rotateSize: pick<number | undefined>(c, "rotateSize", primaryCfg?.rotate_size),
    checkpointIntervalMs: pick<number | undefined>(c, "checkpointInterval", b.checkpoint_interval),
    quiet: !!c.getOptionValue("quiet"),
    json: !!c.getOptionValue("json"),
  };
}

/** Copies a shipped segment (object, then its metadata) from the primary archive to the mirror. */
async function mirrorSegment(from: ArchiveTarget, to: ArchiveTarget, m: SegmentMeta) {
  const key = segmentKey(to.prefix, m.file, m.startPosition, m.compressed);
  const up = to.store.upload(key);
  try {
    await pipeline(await from.store.get(m.key), up.stream);
    await up.done;
  } catch (e) {
    await up.abort(e).catch(() => undefined);
    throw e;
  }
  await to.store.put(segmentMetaKey(to.prefix, m.file, m.startPosition), serializeSegmentMeta({ ...m, key }));
}

/**
 * Where a new archive with --gtid begins: the GTID position at the start of the oldest binlog the
 * server still has (MariaDB: BINLOG_GTID_POS of its first event; MySQL: gtid_purged), so that, like
 * the default start, it covers the base backups taken before it. When no GTID was written before
 * that binlog (the position is empty) the archive starts at the binlog's first event instead.
 */
async function oldestGtidStart(server: ServerAddress): Promise<ArchiveStart> {
  const facts = await gatherInfo(server);
  if (!facts.binlog.enabled) throw new DomainError("PRECONDITION", `Binary logging is off on ${describeAddress(server)}: start the server with log_bin and a unique server_id.`);
  if (!facts.gtid.enabled) {
    throw new DomainError(
      "PRECONDITION",
      `GTID is not enabled on ${describeAddress(server)} (gtid_mode ${facts.gtid.mode ?? "OFF"}): SET GLOBAL gtid_mode = ON_PERMISSIVE; SET GLOBAL enforce_gtid_consistency = ON; SET GLOBAL gtid_mode = ON; or stream without --gtid.`,
    );
  }
  const g = await withServer(server, async (c) => {
    if (facts.flavor !== "mariadb") return String((await queryRows<{ g: string }>(c, "SELECT @@GLOBAL.gtid_purged AS g"))[0]?.g ?? "");
    const first = (await queryRows<{ Log_name: string }>(c, "SHOW BINARY LOGS"))[0]?.Log_name;
    if (!first) return "";
    return String((await queryRows<{ g: string | null }>(c, "SELECT BINLOG_GTID_POS(?, 4) AS g", [first]))[0]?.g ?? "");
  });
  const gtid = g.replace(/\s+/g, "");
  return gtid ? { gtid } : "oldest";
}

async function runStream(p: Plan) {
  const ctx = terminalContext({ quiet: p.quiet, stopMessage: "closing and shipping the current segment, then stopping" });
  let shipped = 0;
  let lastJson = 0;
  try {
    // a new archive starts at the oldest binlog the server has: the CLI has no catalog of base
    // backups, and any backup taken before this command (the seed's flow: physical-backup, then
    // binlog-stream) has its coordinates there, as long as the server has not purged them
    let start: ArchiveStart = p.start ?? "oldest";
    if (p.gtid && !p.start) start = await oldestGtidStart(p.server);
    ctx.log("info", `Archiving the binlogs of ${describeAddress(p.server)} as replica server id ${p.serverId ?? 99999} to ${p.primary.display}${p.mirror ? ` and ${p.mirror.display}` : ""} (working directory ${p.workDir}). Stop with Ctrl-C or SIGTERM.`);
    const { stoppedAt } = await runArchiver(ctx, {
      server: p.server,
      serverId: p.serverId,
      dir: p.workDir,
      store: p.primary.store,
      storePrefix: p.primary.prefix,
      compress: p.compress,
      rotateSize: p.rotateSize,
      start,
      checkpointIntervalMs: p.checkpointIntervalMs,
      onSegment: async (m) => {
        if (p.mirror) await mirrorSegment(p.primary, p.mirror, m);
        shipped++;
      },
      onStatus: (s: ArchiverStatus) => {
        ctx.progress({
          phase: s.state,
          bytesDone: s.bytes,
          detail: `${s.file ?? "?"}:${s.position ?? "?"}  lag ${s.lagSeconds === null ? "?" : s.lagSeconds.toFixed(1)} s  ${s.events} events  ${shipped} segments shipped${s.pendingSegments ? `, ${s.pendingSegments} pending` : ""}${s.reconnects ? `  ${s.reconnects} reconnects` : ""}${s.lastError ? `  (${s.lastError})` : ""}`,
        });
        const now = Date.now();
        if (p.json && now - lastJson >= 1000) {
          lastJson = now;
          process.stdout.write(JSON.stringify({ ...s, shipped }) + "\n");
        }
      },
    });
    ctx.done();
    const line = `stopped at ${stoppedAt.file}:${stoppedAt.position}${stoppedAt.gtid ? ` (GTID ${stoppedAt.gtid})` : ""}; ${shipped} segment${shipped === 1 ? "" : "s"} shipped this run to ${p.primary.display}`;
    if (p.json) process.stdout.write(JSON.stringify({ stopped: true, file: stoppedAt.file, position: stoppedAt.position, gtid: stoppedAt.gtid, shipped }) + "\n");
    if (!p.quiet) process.stderr.write(`${line}\n`);
  } catch (e) {
    ctx.done();
    throw e;
  }
}

