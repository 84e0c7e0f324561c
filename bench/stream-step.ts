// The seed's "streaming" line: our logical dump sent straight to S3 by parallel multipart upload,
// into s3rver (a real S3-protocol server in Node) started inside the benchmark process.
import fsp from "node:fs/promises";
import { startS3 } from "../test/helpers/s3";
import { onCleanup } from "./cleanup";
import { attempt, mbPerSec, measuredBackup, type BenchContext } from "./context";
import { DB } from "./dataset";
import { runDbbackup } from "./proc";
import { conn } from "./servers";

type BackupJson = { storedBytes: number; rawBytes: number; lockMs: number | null; durationMs: number };

export async function streamStep(ctx: BenchContext) {
  const name = `ours: stream-backup --engine logical to S3 (s3rver), zstd-3, --workers 8 --part-size 20971520, parallel ${ctx.args.parallel}`;
  await attempt(ctx, { group: "stream", name, short: "stream to S3", ours: true }, async (line) => {
    const s3 = await startS3("bench");
    const undo = onCleanup("stop s3rver and remove its directory", async () => {
      await s3.stop();
      await fsp.rm(s3.dir, { recursive: true, force: true });
    });
    try {
      const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
      const { result, probe } = await measuredBackup(ctx, name, () =>
        runDbbackup<BackupJson>(
          ["stream-backup", "--engine", "logical", "--target", "s3://bench/logical/", "--s3-endpoint", s3.endpoint, "--workers", "8", "--part-size", "20971520", "--level", "3", "--parallel", String(ctx.args.parallel), "--databases", DB, ...conn(ctx.source)],
          { env },
        ),
      );
      const { json, proc } = result;
      Object.assign(line, {
        seconds: proc.ms / 1000,
        mbPerSec: mbPerSec(ctx, proc.ms),
        lockMs: json.lockMs,
        probe,
        rss: proc.rss,
        peakRssMb: proc.rss.mainPeakMb,
        outputBytes: json.storedBytes,
        note: `in-process ${(json.durationMs / 1000).toFixed(1)} s; s3rver writes to local disk inside the benchmark process, on the same cores; parts being filled or in flight take one of --workers slots for the whole backup, so at most workers x part-size of part buffers (${ctx.args.parallel} objects are written at once)`,
        extra: { secondsPerGb: Math.round((proc.ms / 1000 / (ctx.dataset.innodbBytes / 2 ** 30)) * 10) / 10 },
      });
    } finally {
      await s3.stop();
      await fsp.rm(s3.dir, { recursive: true, force: true });
      undo();
    }
  });
}
