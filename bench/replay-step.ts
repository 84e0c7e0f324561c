// Replay of the archived write load onto two identical copies of the data as of the base backup
// (restored by ours and by mariadb <): ours (replayBinlogs, as `restore --binlogs` uses it) against
// `mariadb-binlog | mariadb`. Both copies must end equal to each other and to the source.
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { SegmentMeta } from "../server/binlog";
import { compareBinlogFiles } from "../server/binlog/segment-naming";
import { attempt, type BenchContext } from "./context";
import { DB } from "./dataset";
import { log } from "./log";
import { ROOT, run, runShell, sh } from "./proc";
import type { ReplayChildArgs } from "./replay-child";
import { checksumDiff, checksums } from "./servers";

type ReplayJson = { transactions: number; skippedTransactions: number; statements: number; events: number; bytes: number; ms: number; stoppedBy: string; roundTrips: number };

/** The server's binlog files rebuilt from the archive's segments (for mariadb-binlog, which reads whole files). */
async function plainBinlogFiles(archiveDir: string, outDir: string, fromFile: string): Promise<string[]> {
  await fsp.mkdir(outDir, { recursive: true });
  const metas: SegmentMeta[] = [];
  for (const n of await fsp.readdir(archiveDir)) if (n.endsWith(".meta.json")) metas.push(JSON.parse(await fsp.readFile(path.join(archiveDir, n), "utf8")) as SegmentMeta);
  const files = [...new Set(metas.map((m) => m.file))].filter((f) => compareBinlogFiles(f, fromFile) >= 0).sort(compareBinlogFiles);
  const out: string[] = [];
  for (const f of files) {
    const segs = metas.filter((m) => m.file === f).sort((a, b) => a.startPosition - b.startPosition);
    if (segs[0]!.byteOffset !== 0) throw new Error(`the archive's first segment of ${f} starts at ${segs[0]!.startPosition}, not at the file's beginning`);
    if (segs.some((s) => s.compressed)) throw new Error(`the archive of ${f} is compressed; the benchmark archives uncompressed`);
    const target = path.join(outDir, f);
    const fd = fs.openSync(target, "w");
    try {
      for (let i = 0; i < segs.length; i++) {
        if (i > 0 && segs[i]!.startPosition !== segs[i - 1]!.endPosition) throw new Error(`the archive of ${f} has a gap at ${segs[i - 1]!.endPosition}`);
        fs.writeSync(fd, fs.readFileSync(path.join(archiveDir, segs[i]!.key)));
      }
    } finally {
      fs.closeSync(fd);
    }
    out.push(target);
  }
  return out;
}

export async function replayStep(ctx: BenchContext) {
  const base = ctx.oursSet?.coordinates;
  const copies = ctx.replayCopies ?? {};
  const missing = !ctx.archiveDir
    ? "no binlog archive (the write load did not run)"
    : !base
      ? "our base backup has no binlog coordinates"
      : !copies.ours || !copies.peer
        ? "the two restored copies (ours, mariadb <) are missing"
        : undefined;
  let files: string[] = [];
  let binlogBytes = 0;
  let transactions = 0;
  if (!missing) {
    files = await plainBinlogFiles(ctx.archiveDir!, path.join(ctx.work, "binlog-files"), base!.file);
    binlogBytes = files.reduce((n, f) => n + fs.statSync(f).size, 0) - base!.position;
    log(`replay: ${files.length} binlog file(s), ${(binlogBytes / 1e6).toFixed(1)} MB from ${base!.file}:${base!.position}`);
  }
  const rate = (line: { seconds?: number; extra?: Record<string, unknown> }) => {
    const s = line.seconds!;
    line.extra = { ...line.extra, binlogMbPerSec: Math.round((binlogBytes / 1e6 / s) * 10) / 10, transactionsPerSec: Math.round(transactions / s), binlogBytes, transactions };
  };
  await attempt(ctx, { group: "replay", name: "ours: replayBinlogs (restore --binlogs) from the archive", short: "replay", ours: true, skipped: missing }, async (line) => {
    const args: ReplayChildArgs = { archiveDir: ctx.archiveDir!, from: { file: base!.file, position: base!.position }, fromGtid: base!.gtid, port: copies.ours!.port, databases: [DB] };
    const proc = await run(process.execPath, ["--disable-warning=NodeVersionSupportWarning", "--import", path.join(ROOT, "node_modules/tsx/dist/esm/index.mjs"), path.join(ROOT, "bench/replay-child.ts"), JSON.stringify(args)], { label: "replay (ours)", echo: true });
    const res = JSON.parse(proc.stdout.trim().split("\n").pop()!) as ReplayJson;
    transactions = res.transactions;
    Object.assign(line, {
      seconds: proc.ms / 1000,
      rss: proc.rss,
      peakRssMb: proc.rss.mainPeakMb,
      note: `in-process ${(res.ms / 1000).toFixed(1)} s; ${res.transactions} transactions, ${res.statements} statements in ${res.roundTrips} round trips; stopped by ${res.stoppedBy}`,
      extra: { replayBytesRead: res.bytes, inProcessMs: res.ms, skippedTransactions: res.skippedTransactions },
    });
    rate(line);
  });
  await attempt(ctx, { group: "replay", name: "mariadb-binlog <files> | mariadb", ours: false, skipped: missing ?? (ctx.tools["mariadb-binlog"] ? undefined : "mariadb-binlog is not installed") }, async (line) => {
    const proc = await runShell(`mariadb-binlog --start-position=${base!.position} ${files.map(sh).join(" ")} | mariadb -h127.0.0.1 -P${copies.peer!.port} -uroot --max-allowed-packet=1G`, { label: "mariadb-binlog | mariadb" });
    Object.assign(line, {
      seconds: proc.ms / 1000,
      rss: proc.rss,
      peakRssMb: proc.rss.byCommand["mariadb-binlog"] ?? null,
      note: `mariadb client peak ${proc.rss.byCommand.mariadb ?? "?"} MB; transactions/s counted with our replay's transaction count`,
    });
    if (!transactions) line.note += " (unknown: our replay did not run)";
    rate(line);
  });
  if (!missing) {
    log("replay: comparing both copies with the source (CHECKSUM TABLE ... EXTENDED)");
    const src = await checksums(ctx.source, DB);
    for (const [line, copy] of [
      [ctx.lines.find((l) => l.group === "replay" && l.ours), copies.ours],
      [ctx.lines.find((l) => l.group === "replay" && !l.ours), copies.peer],
    ] as const) {
      if (!line || line.error || !copy) continue;
      const diff = checksumDiff(src, await checksums(copy, DB));
      line.equal = diff.length === 0;
      if (diff.length) log(`${line.name}: tables differ from the source after replay: ${diff.join(", ")}`);
    }
  }
  await copies.ours?.close();
  await copies.peer?.close();
}
