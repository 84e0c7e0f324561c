// Logical dumps of the same data: ours (zstd-3, zstd-1), mariadb-dump | zstd -3, mydumper.
import fsp from "node:fs/promises";
import path from "node:path";
import { attempt, mbPerSec, measuredBackup, type BenchContext, type Coordinates } from "./context";
import { DB } from "./dataset";
import { log, mb } from "./log";
import { diskBytes, run, runDbbackup, runShell, sh } from "./proc";
import { conn } from "./servers";

type BackupJson = { storedBytes: number; rawBytes: number; lockMs: number | null; durationMs: number; coordinates: Coordinates | null };

async function oursDump(ctx: BenchContext, level: number, keep: boolean) {
  const dir = path.join(ctx.work, "out", `ours-zstd${level}`);
  await attempt(ctx, { group: "dump", name: `ours: physical-backup --engine logical, zstd-${level}, parallel ${ctx.args.parallel}`, short: `dump zstd-${level}`, ours: true }, async (line) => {
    const { result, probe, serverCpuSeconds } = await measuredBackup(ctx, line.name, () =>
      runDbbackup<BackupJson>(["physical-backup", "--engine", "logical", "--output", dir + "/", "--compression", "zstd", "--level", String(level), "--parallel", String(ctx.args.parallel), "--databases", DB, ...conn(ctx.source)]),
    );
    const { json, proc } = result;
    Object.assign(line, {
      seconds: proc.ms / 1000,
      cpuSeconds: proc.cpuSeconds,
      serverCpuSeconds,
      lockMs: json.lockMs,
      lockNote: "BACKUP STAGE BLOCK_COMMIT while the workers open their snapshots",
      probe,
      rss: proc.rss,
      peakRssMb: proc.rss.mainPeakMb,
      outputBytes: diskBytes(dir),
      note: `in-process ${(json.durationMs / 1000).toFixed(1)} s (the rest is CLI start-up); zstd children peak ${proc.rss.byCommand.zstd ?? "?"} MB each`,
      extra: { rawSqlBytes: json.rawBytes, durationMs: json.durationMs, coordinates: json.coordinates },
    });
    if (keep) ctx.oursSet = { dir, coordinates: json.coordinates };
    else await fsp.rm(dir, { recursive: true, force: true });
  });
}

async function mariadbDump(ctx: BenchContext) {
  const file = path.join(ctx.work, "out", "mariadb-dump.sql.zst");
  await attempt(ctx, { group: "dump", name: "mariadb-dump --single-transaction | zstd -3 -T0", ours: false, skipped: !ctx.tools["mariadb-dump"] ? "mariadb-dump is not installed" : undefined }, async (line) => {
    const { result: proc, probe, serverCpuSeconds } = await measuredBackup(ctx, line.name, () =>
      runShell(`mariadb-dump -h127.0.0.1 -P${ctx.source.port} -uroot --single-transaction --databases ${DB} | zstd -3 -T0 -q > ${sh(file)}`, { label: "mariadb-dump" }),
    );
    Object.assign(line, {
      seconds: proc.ms / 1000,
      cpuSeconds: proc.cpuSeconds,
      serverCpuSeconds,
      lockMs: 0,
      lockNote: "none taken (--single-transaction without --master-data)",
      probe,
      rss: proc.rss,
      peakRssMb: proc.rss.byCommand["mariadb-dump"] ?? null,
      outputBytes: diskBytes(file),
      note: `zstd peak ${proc.rss.byCommand.zstd ?? "?"} MB`,
    });
    ctx.dumpSql = file;
    // the logical size every MB/s in the report divides: the SQL text this dump holds
    const count = await runShell(`zstd -dc -q ${sh(file)} | wc -c`, { label: "size of the mariadb-dump SQL" });
    ctx.logicalBytes = Number(count.stdout.trim());
    log(`logical size (mariadb-dump SQL, uncompressed): ${mb(ctx.logicalBytes)} MB`);
  });
}

async function mydumper(ctx: BenchContext) {
  const dir = path.join(ctx.work, "out", "mydumper");
  const missing = !ctx.tools.mydumper ? "mydumper is not installed (apt-get install mydumper)" : undefined;
  await attempt(ctx, { group: "dump", name: `mydumper -c (gzip) --threads ${ctx.args.parallel} --rows 100000 --trx-consistency-only`, ours: false, skipped: missing }, async (line) => {
    const { result: proc, probe, serverCpuSeconds } = await measuredBackup(ctx, line.name, () =>
      run("mydumper", ["-h", "127.0.0.1", "-P", String(ctx.source.port), "-u", "root", "-B", DB, "-o", dir, "-t", String(ctx.args.parallel), "-c", "-r", "100000", "--trx-consistency-only", "-v", "2"], { label: "mydumper" }),
    );
    Object.assign(line, {
      seconds: proc.ms / 1000,
      cpuSeconds: proc.cpuSeconds,
      serverCpuSeconds,
      lockMs: null,
      lockNote: "FLUSH TABLES WITH READ LOCK until its threads hold snapshots (not reported; see the commit probe)",
      probe,
      rss: proc.rss,
      peakRssMb: proc.rss.mainPeakMb,
      outputBytes: diskBytes(dir),
      note: "mydumper 0.10 compresses with gzip (zstd came in 0.11)",
    });
    ctx.mydumperDir = dir;
  });
}

export async function dumpStep(ctx: BenchContext) {
  await fsp.mkdir(path.join(ctx.work, "out"), { recursive: true });
  // mariadb-dump first: its SQL size is the yardstick of every MB/s
  await mariadbDump(ctx);
  await oursDump(ctx, 3, true);
  await oursDump(ctx, 1, false);
  await mydumper(ctx);
  if (!ctx.logicalBytes) {
    const ours = ctx.lines.find((l) => l.group === "dump" && l.ours && l.extra?.rawSqlBytes);
    if (ours) {
      ctx.logicalBytes = ours.extra!.rawSqlBytes as number;
      ctx.logicalSizeDefinition = "MB of the uncompressed SQL our logical dump writes (mariadb-dump did not run)";
    }
  }
  const gb = ctx.dataset.innodbBytes / 2 ** 30;
  for (const l of ctx.lines) {
    if (l.group !== "dump" || !l.seconds) continue;
    l.mbPerSec = mbPerSec(ctx, l.seconds * 1000);
    l.extra = { ...l.extra, secondsPerGb: Math.round((l.seconds / gb) * 10) / 10 };
  }
}
