// What every measured line records; the report turns these into tables, goals and JSON.
import type { ProbeResult } from "./commit-probe";
import type { DatasetInfo } from "./dataset";
import type { MachineFacts } from "./machine";
import type { RssReport } from "./rss";

export type Line = {
  group: "dump" | "restore" | "physical" | "stream" | "replay" | "incidents" | "incremental" | "agents";
  name: string;
  /** a few words for summaries */
  short?: string;
  ours: boolean;
  /** why the line was not measured (missing tool, missing prerequisite); never a number then */
  skipped?: string;
  error?: string;
  /** wall time of the command, as a person running it would see */
  seconds?: number;
  /** logical size (see Report.logicalSizeDefinition) per second, MB = 10^6 bytes */
  mbPerSec?: number;
  /** lock time the tool itself reports (commits blocked) */
  lockMs?: number | null;
  lockNote?: string;
  /** the commit probe's longest commit during the step */
  probe?: ProbeResult;
  rss?: RssReport;
  /** user + system CPU seconds of the tool's process tree (every process of the pipeline) */
  cpuSeconds?: number | null;
  /** CPU seconds the MariaDB server used during the step (the source for dumps, the target for restores) */
  serverCpuSeconds?: number | null;
  /** the figure shown as "peak RSS": the tool's own process (VmHWM), MB */
  peakRssMb?: number | null;
  outputBytes?: number;
  /** restored data equal to the source by CHECKSUM TABLE ... EXTENDED of every table */
  equal?: boolean;
  note?: string;
  extra?: Record<string, unknown>;
};

/** One write load with the archiver running. */
export type LagRun = {
  workload: string;
  targetRate: number;
  seconds: number;
  achievedTps?: number;
  transactions?: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  samples: number;
  eventsPerSec?: number;
  binlogBytesPerSec?: number;
  archiverReportedLagMaxS: number | null;
};

export type LagResult = {
  skipped?: string;
  error?: string;
  runs: LagRun[];
  archiverRss?: RssReport;
  note?: string;
};

export type Report = {
  startedAt: string;
  finishedAt: string;
  args: Record<string, unknown>;
  machine: MachineFacts;
  load: { samples: number; min: number; mean: number; max: number };
  dataset: DatasetInfo & { logicalBytes: number | null; oursRawBytes: number | null; datadirOnBtrfs: boolean };
  logicalSizeDefinition: string;
  lines: Line[];
  lag: LagResult;
  goals: Goal[];
  notes: string[];
};

export type Goal = { goal: string; met: boolean | null; detail: string };
