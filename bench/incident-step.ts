// Indexing the binlog archive for incidents: `dbbackup binlog-events` reads every event of the
// archive the write load produced (row images walked to count rows), timed as a child process so
// its peak RSS is its own. The peer is what a DBA does by hand without an index: decode the same
// files to text with `mariadb-binlog --verbose` (no search at all, only the reading).
import fs from "node:fs";
import path from "node:path";
import { attempt, type BenchContext } from "./context";
import { log } from "./log";
import { DBBACKUP, run, runShell, sh } from "./proc";

export async function incidentStep(ctx: BenchContext) {
  const dir = ctx.archiveDir;
  const missing = dir ? undefined : "no binlog archive (the write load did not run)";
  let bytes = 0;
  await attempt(ctx, { group: "incidents", name: "ours: dbbackup binlog-events (incident index of the archive)", short: "index", ours: true, skipped: missing }, async (line) => {
    const proc = await run(DBBACKUP, ["binlog-events", "--binlogs", dir!, "--json", "-q"], { label: "binlog-events" });
    const res = JSON.parse(proc.stdout) as { incidents: unknown[]; scannedBytes: number; seconds: number };
    bytes = res.scannedBytes;
    Object.assign(line, {
      seconds: proc.ms / 1000,
      rss: proc.rss,
      peakRssMb: proc.rss.mainPeakMb,
      note: `in-process ${res.seconds.toFixed(2)} s; ${res.incidents.length} incident(s) in ${(bytes / 1e6).toFixed(1)} MB`,
      extra: { binlogBytes: bytes, binlogMbPerSec: Math.round((bytes / 1e6 / res.seconds) * 10) / 10, wallMbPerSec: Math.round((bytes / 1e6 / (proc.ms / 1000)) * 10) / 10, incidents: res.incidents.length },
    });
  });
  const files = dir ? fs.readdirSync(dir).filter((n) => /\.\d{10}$/.test(n) && !n.endsWith(".zst")).sort().map((n) => path.join(dir, n)) : [];
  await attempt(ctx, { group: "incidents", name: "mariadb-binlog --verbose <files> > /dev/null", ours: false, skipped: missing ?? (ctx.tools["mariadb-binlog"] ? (files.length ? undefined : "the archive's segments are compressed") : "mariadb-binlog is not installed") }, async (line) => {
    const proc = await runShell(`mariadb-binlog --base64-output=decode-rows --verbose ${files.map(sh).join(" ")} > /dev/null`, { label: "mariadb-binlog --verbose" });
    const size = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    Object.assign(line, { seconds: proc.ms / 1000, rss: proc.rss, peakRssMb: proc.rss.byCommand["mariadb-binlog"] ?? null, note: "decodes to text only; no search, no row counts per transaction", extra: { binlogBytes: size, binlogMbPerSec: Math.round((size / 1e6 / (proc.ms / 1000)) * 10) / 10 } });
  });
  log(`incidents: indexed ${(bytes / 1e6).toFixed(1)} MB`);
}
