// State shared by the benchmark's steps, and the way each timed backup is run.
import os from "node:os";
import type { BenchArgs } from "./args";
import { BenchAborted } from "./cleanup";
import { CommitProbe, type ProbeResult } from "./commit-probe";
import { warmUp, type DatasetInfo } from "./dataset";
import { log } from "./log";
import type { LagResult, Line } from "./results";
import { serverCpuSeconds, type Server } from "./servers";

export type Coordinates = { file: string; position: number; gtid: string | null };

export type BenchContext = {
  args: BenchArgs;
  /** temp directory of this run (removed at the end) */
  work: string;
  source: Server;
  datadirOnBtrfs: boolean;
  dataset: DatasetInfo;
  /** CHECKSUM TABLE ... EXTENDED of every table of the source before the write load */
  sourceChecksums: Record<string, string>;
  /** bytes of the uncompressed SQL mariadb-dump writes (the logical size every MB/s divides) */
  logicalBytes: number | null;
  logicalSizeDefinition: string;
  /** the binlog file the source started after the dataset was built (archive starts there) */
  firstBinlogFile: string;
  tools: Record<string, string | null>;
  lines: Line[];
  lag: LagResult;
  notes: string[];
  /** outputs kept for later steps */
  oursSet?: { dir: string; coordinates: Coordinates | null };
  dumpSql?: string;
  mydumperDir?: string;
  /** restored copies kept for the replay: restored by ours and by mariadb < */
  replayCopies?: { ours?: Server; peer?: Server };
  archiveDir?: string;
};

/**
 * A backup step: a warm-up read of every table first (see warmUp), then the commit probe runs
 * around the timed command.
 */
export async function measuredBackup<T>(ctx: BenchContext, label: string, fn: () => Promise<T>): Promise<{ result: T; probe: ProbeResult; serverCpuSeconds: number | null }> {
  const warm = await warmUp(ctx.source);
  log(`${label}: warm-up read ${(warm / 1000).toFixed(1)} s, running`);
  const probe = CommitProbe.start(ctx.source);
  const cpu0 = serverCpuSeconds(ctx.source);
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    await probe.stop().catch(() => undefined);
    throw e;
  }
  const cpu1 = serverCpuSeconds(ctx.source);
  // the probe's own commits (one every 10 ms) are in this figure too, the same for every tool
  return { result, probe: await probe.stop(), serverCpuSeconds: cpu0 === null || cpu1 === null ? null : Math.round((cpu1 - cpu0) * 100) / 100 };
}

export function mbPerSec(ctx: BenchContext, ms: number): number | undefined {
  if (!ctx.logicalBytes || ms <= 0) return undefined;
  return Math.round((ctx.logicalBytes / 1e6 / (ms / 1000)) * 10) / 10;
}

/** Runs one line; a failure is recorded on the line (with its message) and the benchmark goes on. */
export async function attempt(ctx: BenchContext, line: Line, fn: (line: Line) => Promise<void>): Promise<Line> {
  ctx.lines.push(line);
  if (line.skipped) {
    log(`${line.name}: skipped (${line.skipped})`);
    return line;
  }
  const load0 = os.loadavg()[0]!;
  try {
    await fn(line);
    // how busy the machine was around this line (1-minute load average before and after)
    line.extra = { ...line.extra, loadAverage: [Math.round(load0 * 100) / 100, Math.round(os.loadavg()[0]! * 100) / 100] };
  } catch (e) {
    if (e instanceof BenchAborted) throw e;
    line.error = (e as Error).message;
    log(`${line.name}: FAILED: ${line.error}`);
  }
  return line;
}
