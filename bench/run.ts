// `npm run bench`: measures our speed claims against the stock tools on one dataset, in one run.
// See README.md "Benchmark" and `npm run bench -- --help`.
import fsp from "node:fs/promises";
import path from "node:path";
import { findTool } from "../server/mysql/tools";
import { parseArgs, type BenchArgs } from "./args";
import { binlogLagStep } from "./binlog-lag-step";
import { btrfsUnavailable, createBtrfsVolume } from "./btrfs-volume";
import { BenchAborted, cleanupAll, installSignalHandlers, onCleanup, throwIfAborted } from "./cleanup";
import { prepareProbe } from "./commit-probe";
import type { BenchContext } from "./context";
import { buildDataset, DB } from "./dataset";
import { dumpStep } from "./dump-step";
import { log, mb } from "./log";
import { LoadSampler, machineFacts } from "./machine";
import { physicalStep } from "./physical-step";
import { incrementalStep } from "./incremental-step";
import { DBBACKUP, ROOT, start } from "./proc";
import { replayStep } from "./replay-step";
import { incidentStep } from "./incident-step";
import { agentsStep } from "./agents-step";
import { computeGoals, renderMarkdown } from "./report";
import { restoreStep } from "./restore-step";
import type { Report } from "./results";
import { checksums, startServer } from "./servers";
import { streamStep } from "./stream-step";

const TOOLS = ["mariadb", "mariadb-dump", "mariadb-binlog", "mariadb-backup", "mydumper", "myloader", "zstd", "sysbench"];

async function bench(args: BenchArgs): Promise<Report> {
  const startedAt = new Date();
  const load = new LoadSampler();
  await fsp.mkdir(args.workDir, { recursive: true });
  const work = await fsp.mkdtemp(path.join(args.workDir, "dbbackup-bench-"));
  // registered first, so it runs last: after every server, mount and child is gone
  onCleanup(`remove ${work}`, () => fsp.rm(work, { recursive: true, force: true }));
  log(`work directory ${work}; size ${args.sizeGb} GB${args.quick ? " (quick)" : ""}`);
  const machine = await machineFacts(work);
  const tools = Object.fromEntries(TOOLS.map((t) => [t, args.without.has(t) ? null : findTool(t)]));
  for (const need of ["mariadb", "zstd"]) if (!tools[need]) throw new Error(`${need} is not installed: apt-get install ${need === "zstd" ? "zstd" : "mariadb-client"}`);
  if (!findTool("mariadbd")) throw new Error("mariadbd is not installed: apt-get install mariadb-server");

  let btrfsMissing = args.without.has("btrfs") ? "btrfs-progs treated as not installed (--without btrfs)" : btrfsUnavailable();
  let sourceDir = path.join(work, "source");
  if (!btrfsMissing) {
    try {
      const vol = await createBtrfsVolume(work, args.sizeGb * 4 + 4);
      sourceDir = vol.subvolume;
      log(`Btrfs volume mounted at ${vol.mnt} (${vol.loopDevice ?? "loop device"}), source datadir in subvolume ${vol.subvolume}`);
    } catch (e) {
      btrfsMissing = `creating the Btrfs loop volume failed: ${(e as Error).message.trim().split("\n")[0]}`;
    }
  }
  if (btrfsMissing) log(`no Btrfs (${btrfsMissing}): the source runs on the work disk and the snapshot line is skipped`);
  const source = await startServer("source", sourceDir, { keepDir: !btrfsMissing });
  await prepareProbe(source);
  const dataset = await buildDataset(source, args.sizeGb * 2 ** 30, args.tables, !!tools.sysbench);
  log(`dataset: ${mb(dataset.innodbBytes, 0)} MB InnoDB data+index in ${(dataset.buildMs / 1000).toFixed(0)} s (wide table ${(dataset.wideShare * 100).toFixed(0)}%)`);
  // a fresh binlog file for the archive and the replay to start at; the load's history is not kept
  await source.sql("FLUSH BINARY LOGS");
  const [status] = await source.sql<{ File: string }>("SHOW MASTER STATUS");
  const firstBinlogFile = String(status!.File);
  await source.sql(`PURGE BINARY LOGS TO '${firstBinlogFile}'`);
  log("checksums of the source (CHECKSUM TABLE ... EXTENDED)");
  const sourceChecksums = await checksums(source, DB);

  const ctx: BenchContext = {
    args,
    work,
    source,
    datadirOnBtrfs: !btrfsMissing,
    dataset,
    sourceChecksums,
    logicalBytes: null,
    logicalSizeDefinition: "MB of the uncompressed SQL `mariadb-dump --single-transaction --databases sbtest` writes",
    firstBinlogFile,
    tools,
    lines: [],
    lag: { runs: [] },
    notes: [],
  };
  const skip = args.skip;
  const replay = !skip.has("replay") && !skip.has("restore") && !skip.has("binlog") && !skip.has("dump");
  if (!skip.has("dump")) await dumpStep(ctx);
  throwIfAborted();
  if (!skip.has("stream")) await streamStep(ctx);
  throwIfAborted();
  if (!skip.has("physical")) await physicalStep(ctx, btrfsMissing);
  throwIfAborted();
  if (!skip.has("restore") && !skip.has("dump")) await restoreStep(ctx, replay);
  throwIfAborted();
  if (!skip.has("binlog")) {
    try {
      await binlogLagStep(ctx);
    } catch (e) {
      if (e instanceof BenchAborted) throw e;
      ctx.lag.error = (e as Error).message;
      log(`binlog archive lag: FAILED: ${ctx.lag.error}`);
    }
  } else ctx.lag.skipped = "--skip binlog";
  throwIfAborted();
  if (replay) await replayStep(ctx);
  throwIfAborted();
  if (!skip.has("incidents") && !skip.has("binlog")) await incidentStep(ctx);
  // it changes the source's rows: after every step that compares with the source's checksums
  if (!skip.has("incremental")) await incrementalStep(ctx);
  throwIfAborted();
  // its own servers and catalog (a child process): it does not touch the source
  if (!skip.has("agents")) await agentsStep(ctx);
  for (const g of skip) ctx.notes.push(`Group "${g}" was left out (--skip).`);
  if (args.without.size) ctx.notes.push(`Treated as not installed (--without): ${[...args.without].join(", ")}.`);

  const idle = await start(DBBACKUP, ["--help"], { label: "dbbackup --help" }).done;
  ctx.notes.push(
    `Peak RSS of our commands includes the CLI's fixed cost: \`bin/dbbackup --help\` alone peaks at ${idle.rss.mainPeakMb ?? "?"} MB (Node and the modules it loads).`,
    "Each line ran once; on a 2-core machine shared with other work, repeat runs vary by 10-20%. The load average above tells how busy it was.",
    "Our tools run as `bin/dbbackup` (TypeScript through tsx): the wall time includes about 1-2 s of start-up; `in-process` in the notes is the command's own duration.",
    "Restores write the binlog on every target (ours by default, `mariadb <` by default, myloader with -e), with the same server settings: " +
      "innodb_buffer_pool_size=1G, innodb_log_file_size=256M, innodb_flush_log_at_trx_commit=1, max_allowed_packet=256M.",
    "The source's binlogs of the data load were purged after a FLUSH BINARY LOGS, so physical backups copy data, not history.",
    "Physical restore = `dbbackup restore --datadir` (extract; mariabackup also --prepare) + start of a server on it, until it accepts connections (InnoDB recovery included).",
  );
  const report: Report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    args: { ...args, skip: [...args.skip], without: [...args.without] },
    machine,
    load: load.stop(),
    dataset: { ...dataset, logicalBytes: ctx.logicalBytes, oursRawBytes: (ctx.lines.find((l) => l.ours && l.extra?.rawSqlBytes)?.extra?.rawSqlBytes as number | undefined) ?? null, datadirOnBtrfs: ctx.datadirOnBtrfs },
    logicalSizeDefinition: ctx.logicalSizeDefinition,
    lines: ctx.lines,
    lag: ctx.lag,
    goals: computeGoals(ctx.lines, ctx.lag),
    notes: ctx.notes,
  };
  return report;
}

async function main() {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
  installSignalHandlers();
  let code = 0;
  try {
    const report = await bench(args);
    const md = renderMarkdown(report);
    const dir = path.join(ROOT, "bench", "results");
    await fsp.mkdir(dir, { recursive: true });
    const stamp = report.startedAt.replace(/[:.]/g, "-").replace(/-\d{3}Z$/, "Z");
    await fsp.writeFile(path.join(dir, `${stamp}.json`), JSON.stringify(report, null, 2) + "\n");
    await fsp.writeFile(path.join(dir, "latest.md"), md + "\n");
    process.stdout.write(md + "\n");
    log(`results: bench/results/${stamp}.json and bench/results/latest.md`);
  } catch (e) {
    if (e instanceof BenchAborted) {
      code = 130;
    } else {
      code = 1;
      log(`FAILED: ${(e as Error).stack ?? e}`);
    }
  } finally {
    log("cleaning up: servers, children, mounts, loop devices, temp files");
    await cleanupAll();
  }
  process.exit(code);
}

void main();
