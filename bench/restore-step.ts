// Restores of the dumps into fresh, empty servers: ours (parallel), mariadb < dump.sql, myloader.
// Each restored copy is compared with the source by CHECKSUM TABLE ... EXTENDED.
import path from "node:path";
import { attempt, mbPerSec, type BenchContext } from "./context";
import { DB } from "./dataset";
import { log } from "./log";
import { run, runDbbackup, runShell, sh, type ProcResult } from "./proc";
import type { Line } from "./results";
import { checksumDiff, checksums, conn, startServer, withServerCpu, type Server } from "./servers";

async function restoreInto(ctx: BenchContext, line: Line, name: string, fn: (target: Server) => Promise<{ proc: ProcResult; peakRssMb: number | null; note?: string }>, keep: boolean): Promise<Server> {
  const target = await startServer(name, path.join(ctx.work, "srv", name));
  try {
    log(`${line.name}: into a fresh server on port ${target.port}`);
    const { result, serverCpuSeconds } = await withServerCpu(target, () => fn(target));
    const { proc, peakRssMb, note } = result;
    const diff = checksumDiff(ctx.sourceChecksums, await checksums(target, DB));
    Object.assign(line, { seconds: proc.ms / 1000, mbPerSec: mbPerSec(ctx, proc.ms), rss: proc.rss, cpuSeconds: proc.cpuSeconds, serverCpuSeconds, peakRssMb, equal: diff.length === 0, note });
    if (diff.length) log(`${line.name}: restored tables differ from the source: ${diff.join(", ")}`);
  } catch (e) {
    await target.close();
    throw e;
  }
  if (!keep) await target.close();
  return target;
}

export async function restoreStep(ctx: BenchContext, keepForReplay: boolean) {
  ctx.replayCopies = {};
  const oursSet = ctx.oursSet;
  await attempt(ctx, { group: "restore", name: `ours: restore --from <set> --parallel ${ctx.args.parallel}`, short: "restore", ours: true, skipped: oursSet ? undefined : "our zstd-3 dump did not run" }, async (line) => {
    ctx.replayCopies!.ours = await restoreInto(
      ctx,
      line,
      "restore-ours",
      async (t) => {
        const { json, proc } = await runDbbackup<{ durationMs: number }>(["restore", "--from", oursSet!.dir, "--parallel", String(ctx.args.parallel), ...conn(t)]);
        return { proc, peakRssMb: proc.rss.mainPeakMb, note: `in-process ${(json.durationMs / 1000).toFixed(1)} s; zstd children peak ${proc.rss.byCommand.zstd ?? "?"} MB each` };
      },
      keepForReplay,
    );
  });
  await attempt(ctx, { group: "restore", name: "zstd -dc dump.sql.zst | mariadb", ours: false, skipped: ctx.dumpSql ? undefined : "the mariadb-dump output is missing" }, async (line) => {
    ctx.replayCopies!.peer = await restoreInto(
      ctx,
      line,
      "restore-mariadb",
      async (t) => {
        const proc = await runShell(`zstd -dc -q ${sh(ctx.dumpSql!)} | mariadb -h127.0.0.1 -P${t.port} -uroot --max-allowed-packet=1G`, { label: "mariadb <" });
        return { proc, peakRssMb: proc.rss.byCommand.mariadb ?? null, note: `zstd -dc peak ${proc.rss.byCommand.zstd ?? "?"} MB` };
      },
      keepForReplay,
    );
  });
  const missing = !ctx.tools.myloader ? "myloader is not installed (apt-get install mydumper)" : !ctx.mydumperDir ? "the mydumper output is missing" : undefined;
  await attempt(ctx, { group: "restore", name: `myloader --threads ${ctx.args.parallel} --enable-binlog`, ours: false, skipped: missing }, async (line) => {
    await restoreInto(
      ctx,
      line,
      "restore-myloader",
      async (t) => {
        // -e: write the binlog like the other two restores do (myloader turns it off by default)
        const proc = await run("myloader", ["-d", ctx.mydumperDir!, "-t", String(ctx.args.parallel), "-h", "127.0.0.1", "-P", String(t.port), "-u", "root", "-e", "-v", "2"], { label: "myloader" });
        return { proc, peakRssMb: proc.rss.mainPeakMb };
      },
      false,
    );
  });
}
