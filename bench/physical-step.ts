// Physical backups of the same server (snapshot on Btrfs, mariabackup) and their restores: the CLI's
// `restore --datadir` into a new directory, then a server started on it and compared with the source.
import fsp from "node:fs/promises";
import path from "node:path";
import { attempt, measuredBackup, type BenchContext } from "./context";
import { DB } from "./dataset";
import { log } from "./log";
import { diskBytes, runDbbackup } from "./proc";
import { checksumDiff, checksums, conn, startServer } from "./servers";

type BackupJson = { storedBytes: number; rawBytes: number; lockMs: number | null; durationMs: number };

async function physical(ctx: BenchContext, engine: "snapshot" | "mariabackup", skipped: string | undefined) {
  const name = engine === "snapshot" ? "snapshot (Btrfs), zstd" : "mariabackup, zstd";
  const dir = path.join(ctx.work, "out", engine);
  const datadir = path.join(ctx.work, "phys", `${engine}-datadir`);
  const gb = ctx.dataset.innodbBytes / 2 ** 30;
  await attempt(ctx, { group: "physical", name: `ours: physical-backup --engine ${name}`, short: engine, ours: true, skipped }, async (line) => {
    const engineArgs = engine === "snapshot" ? ["--engine", "snapshot", "--snapshot-backend", "btrfs"] : ["--engine", "mariabackup"];
    const { result, probe } = await measuredBackup(ctx, line.name, () => runDbbackup<BackupJson>(["physical-backup", ...engineArgs, "--output", dir + "/", "--parallel", String(ctx.args.parallel), ...conn(ctx.source)]));
    const { json, proc } = result;
    Object.assign(line, {
      seconds: proc.ms / 1000,
      lockMs: json.lockMs,
      lockNote: engine === "snapshot" ? "commits blocked while the snapshot is taken" : "BACKUP STAGE BLOCK_COMMIT at the end of the copy",
      probe,
      rss: proc.rss,
      peakRssMb: proc.rss.mainPeakMb,
      outputBytes: diskBytes(dir),
    });
    try {
      log(`${line.name}: restore --datadir, then start a server on it`);
      const r = await runDbbackup(["restore", "--from", dir + "/", "--datadir", datadir]);
      const t0 = Date.now();
      const sb = await startServer(`${engine}-restored`, path.join(ctx.work, "phys", `${engine}-run`), { datadir, binlog: false });
      const startMs = Date.now() - t0;
      try {
        const diff = checksumDiff(ctx.sourceChecksums, await checksums(sb, DB));
        line.equal = diff.length === 0;
        if (diff.length) log(`${line.name}: restored tables differ from the source: ${diff.join(", ")}`);
      } finally {
        await sb.close();
      }
      const restoreSeconds = (r.proc.ms + startMs) / 1000;
      line.extra = {
        backupSecondsPerGb: Math.round((line.seconds! / gb) * 10) / 10,
        rawBytes: json.rawBytes,
        inProcessMs: json.durationMs,
        restoreSeconds,
        restoreSecondsPerGb: Math.round((restoreSeconds / gb) * 10) / 10,
        restoreCliSeconds: r.proc.ms / 1000,
        serverStartSeconds: startMs / 1000,
        restorePeakRssMb: r.proc.rss.mainPeakMb,
        restoreRssByCommand: r.proc.rss.byCommand,
      };
      line.note = `${(json.rawBytes / 1e6).toFixed(0)} MB of datadir files read (with the 256 MB redo log, system tables, undo); restore = materialize ${(r.proc.ms / 1000).toFixed(1)} s + server start (with crash recovery) ${(startMs / 1000).toFixed(1)} s`;
    } finally {
      await fsp.rm(datadir, { recursive: true, force: true });
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
}

export async function physicalStep(ctx: BenchContext, btrfsMissing: string | null) {
  await fsp.mkdir(path.join(ctx.work, "phys"), { recursive: true });
  await physical(ctx, "snapshot", btrfsMissing ? `no Btrfs volume: ${btrfsMissing}` : undefined);
  await physical(ctx, "mariabackup", ctx.tools["mariadb-backup"] ? undefined : "mariadb-backup is not installed (apt-get install mariadb-backup)");
}
