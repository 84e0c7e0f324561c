// Archive lag under a sysbench write load at a fixed rate: `dbbackup binlog-stream` runs as a child;
// every 100 ms the benchmark reads the server's binlog position (SHOW MASTER STATUS) and the
// archiver's durable checkpoint (its state file). The lag of a server sample is how long it took
// until the durable checkpoint reached the position the server had at that moment.
import fsp from "node:fs/promises";
import path from "node:path";
import type { RowDataPacket } from "mysql2";
import { STATE_FILE, type PersistedState } from "../server/binlog/archive-state";
import { compareCoordinates } from "../server/binlog/segment-naming";
import { abortSignal, throwIfAborted } from "./cleanup";
import type { BenchContext } from "./context";
import type { LagRun } from "./results";
import { sysbenchArgs } from "./dataset";
import { log } from "./log";
import { DBBACKUP, run, sleep, start } from "./proc";
import { conn } from "./servers";

type Pos = { file: string; position: number };
type Sample = { t: number; pos: Pos };
type Status = { t: number; events: number; bytes: number; lagSeconds: number | null };

async function durablePosition(workDir: string): Promise<Pos | null> {
  try {
    const s = JSON.parse(await fsp.readFile(path.join(workDir, STATE_FILE), "utf8")) as PersistedState;
    if (s.current) return { file: s.current.file, position: s.current.endPosition };
    return s.next;
  } catch {
    return null; // not written yet, or between writes
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
}

export async function binlogLagStep(ctx: BenchContext) {
  const lag = ctx.lag;
  if (!ctx.tools.sysbench) {
    lag.skipped = "sysbench is not installed (apt-get install sysbench): no write load";
    return;
  }
  const archiveDir = path.join(ctx.work, "binlog-archive");
  const workDir = path.join(archiveDir, ".dbbackup-work");
  const statuses: Status[] = [];
  const archiver = start(DBBACKUP, ["binlog-stream", "--output", archiveDir, "--start", `${ctx.firstBinlogFile}:4`, "--server-id", "99999", ...conn(ctx.source), "--json"], {
    label: "binlog-stream",
    echo: false,
    onStdoutLine: (l) => {
      try {
        const s = JSON.parse(l) as { events?: number; bytes?: number; lagSeconds?: number | null };
        if (typeof s.events === "number") statuses.push({ t: Date.now(), events: s.events, bytes: s.bytes ?? 0, lagSeconds: s.lagSeconds ?? null });
      } catch {
        // not a status line
      }
    },
  });
  const c = await ctx.source.connect();
  const serverSamples: Sample[] = [];
  const durableSamples: Sample[] = [];
  let sampling = true;
  const serverPos = async (): Promise<Pos> => {
    const [[r]] = await c.query<RowDataPacket[]>("SHOW MASTER STATUS");
    return { file: String(r!.File), position: Number(r!.Position) };
  };
  const caughtUp = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      throwIfAborted();
      const [s, d] = [await serverPos(), await durablePosition(workDir)];
      if (d && compareCoordinates(d, s) >= 0) return;
      if (archiver.child.exitCode !== null) throw new Error(`binlog-stream exited early: ${(await archiver.done).stderr.trim().split("\n").slice(-3).join(" ")}`);
      if (Date.now() > deadline) throw new Error(`the archiver did not reach the server's position ${s.file}:${s.position} within ${timeoutMs / 1000} s (durable: ${d ? `${d.file}:${d.position}` : "none"})`);
      await sleep(100);
    }
  };
  let sampler: Promise<void> = Promise.resolve();
  try {
    log("binlog archive: waiting for binlog-stream to catch up with the server");
    await caughtUp(300_000);
    sampler = (async () => {
      while (sampling && !abortSignal.aborted) {
        const t = Date.now();
        serverSamples.push({ t, pos: await serverPos() });
        const d = await durablePosition(workDir);
        if (d) durableSamples.push({ t: Date.now(), pos: d });
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t))));
      }
    })();
    const { sysbenchTables, sysbenchRowsPerTable } = ctx.dataset;
    const load = async (test: string, what: string): Promise<LagRun> => {
      log(`binlog archive: sysbench ${test} --rate=${ctx.args.rate} for ${ctx.args.loadSeconds} s while binlog-stream archives`);
      const loadStart = Date.now();
      const sb = await run(
        "sysbench",
        [test, ...sysbenchArgs(ctx.source, sysbenchTables, sysbenchRowsPerTable), "--threads=8", `--rate=${ctx.args.rate}`, `--time=${ctx.args.loadSeconds}`, "--report-interval=0", "run"],
        { label: `sysbench ${test}` },
      );
      const loadEnd = Date.now();
      await caughtUp(300_000);
      const m = /transactions:\s+(\d+)\s+\(([\d.]+) per sec/.exec(sb.stdout);
      // lag of each server sample taken during the load: until the durable checkpoint reached it
      const lags: number[] = [];
      let j = 0;
      for (const s of serverSamples) {
        if (s.t < loadStart || s.t > loadEnd) continue;
        while (j < durableSamples.length && durableSamples[j]!.t < s.t) j++;
        let k = j;
        while (k < durableSamples.length && compareCoordinates(durableSamples[k]!.pos, s.pos) < 0) k++;
        lags.push((k < durableSamples.length ? durableSamples[k]!.t : Date.now()) - s.t);
      }
      lags.sort((a, b) => a - b);
      const during = statuses.filter((s) => s.t >= loadStart && s.t <= loadEnd);
      const first = during[0];
      const last = during[during.length - 1];
      const span = first && last && last.t > first.t ? (last.t - first.t) / 1000 : 0;
      const r: LagRun = {
        workload: `sysbench ${test}, 8 threads, ${sysbenchTables} tables (${what})`,
        targetRate: ctx.args.rate,
        seconds: (loadEnd - loadStart) / 1000,
        transactions: m ? Number(m[1]) : undefined,
        achievedTps: m ? Number(m[2]) : undefined,
        lagP50Ms: quantile(lags, 0.5),
        lagP99Ms: quantile(lags, 0.99),
        lagMaxMs: lags[lags.length - 1] ?? 0,
        samples: lags.length,
        eventsPerSec: span ? Math.round((last!.events - first!.events) / span) : undefined,
        binlogBytesPerSec: span ? Math.round((last!.bytes - first!.bytes) / span) : undefined,
        archiverReportedLagMaxS: during.length ? Math.max(...during.map((s) => s.lagSeconds ?? 0)) : null,
      };
      log(`binlog archive: ${r.achievedTps ?? "?"} tx/s, lag p50 ${r.lagP50Ms} ms, p99 ${r.lagP99Ms} ms, max ${r.lagMaxMs} ms`);
      return r;
    };
    lag.runs.push(await load("oltp_write_only", "4 row changes per transaction: 2 UPDATE, DELETE, INSERT"));
    // a machine too busy for the rate with 4 changes per transaction still gets a measure at the rate
    if ((lag.runs[0]!.achievedTps ?? 0) < 0.95 * ctx.args.rate) {
      log(`binlog archive: oltp_write_only did not reach ${ctx.args.rate} tx/s; measuring oltp_insert (1 row per transaction) at the same rate too`);
      lag.runs.push(await load("oltp_insert", "1 INSERT per transaction"));
    }
    sampling = false;
    await sampler;
    lag.note =
      "lag = time from a sample of the server's binlog position until the archiver's durable checkpoint (fsynced; read from its state file) reached that position; both are read every 100 ms, so values carry up to ~100 ms of sampling granularity; the archiver checkpoints at most every 250 ms (its default). The archiver's own max lag comes from its --json status (once a second).";
  } finally {
    sampling = false;
    await sampler.catch(() => undefined);
    await c.end().catch(() => undefined);
    archiver.stop("SIGTERM");
    const r = await archiver.done;
    lag.archiverRss = r.rss;
    if (r.code !== 0 && !abortSignal.aborted) log(`binlog-stream ended with exit ${r.code}: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`);
  }
  ctx.archiveDir = archiveDir;
}
