// The Markdown table and the goals, from the measured lines. A line that was not measured shows
// why, never a number.
import type { Goal, LagResult, Line, Report } from "./results";

/** The seed's table (100 GB database), as seconds per GB. */
export const SEED_CLAIMS = { mysqldump: (45 * 60) / 100, clone: (8 * 60) / 100, snapshot: (15 * 60) / 100, streaming: (12 * 60) / 100 };

const f1 = (n: number | null | undefined, d = 1) => (n === null || n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(d));
const mbs = (b: number | undefined) => (b === undefined ? "—" : (b / 1e6).toFixed(0));
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? b / a : undefined);

function status(l: Line): string | null {
  if (l.skipped) return `skipped: ${l.skipped}`;
  if (l.error) return `FAILED: ${l.error.split("\n")[0]}`;
  return null;
}

function equalCell(l: Line): string {
  return l.equal === undefined ? "—" : l.equal ? "yes" : "**NO**";
}

function probeCell(l: Line): string {
  return l.probe ? `${l.probe.lockWaitMs} / ${l.probe.maxCommitMs}` : "—";
}

function lockCell(l: Line): string {
  return l.lockMs === null || l.lockMs === undefined ? "n/r" : String(l.lockMs);
}

const ok = (l: Line | undefined): l is Line & { seconds: number } => !!l && !l.skipped && !l.error && typeof l.seconds === "number";

export function computeGoals(lines: Line[], lag: LagResult): Goal[] {
  const goals: Goal[] = [];
  const dump = lines.filter((l) => l.group === "dump");
  const ours3 = dump.find((l) => l.ours && l.name.includes("zstd-3"));
  const ours1 = dump.find((l) => l.ours && l.name.includes("zstd-1"));
  const peers = dump.filter((l) => !l.ours && ok(l)) as (Line & { seconds: number })[];
  const fastest = peers.sort((a, b) => a.seconds - b.seconds)[0];
  if (ok(ours3) && fastest) {
    const r3 = fastest.seconds / ours3.seconds;
    const r1 = ok(ours1) ? fastest.seconds / ours1.seconds : undefined;
    goals.push({
      goal: "dump >= 1.5x the faster peer",
      met: r3 >= 1.5,
      detail: `zstd-3 ${ours3.seconds.toFixed(1)} s = ${r3.toFixed(2)}x ${fastest.name.split(" ")[0]} (${fastest.seconds.toFixed(1)} s)${r1 !== undefined ? `; zstd-1 ${ours1!.seconds!.toFixed(1)} s = ${r1.toFixed(2)}x` : ""}`,
    });
  } else goals.push({ goal: "dump >= 1.5x the faster peer", met: null, detail: "not measured (our dump or every peer missing)" });

  const rest = lines.filter((l) => l.group === "restore");
  const oursR = rest.find((l) => l.ours);
  const mariadbR = rest.find((l) => !l.ours && l.name.includes("mariadb"));
  const myloaderR = rest.find((l) => l.name.startsWith("myloader"));
  if (ok(oursR) && (ok(mariadbR) || ok(myloaderR))) {
    const rm = ok(mariadbR) ? mariadbR.seconds / oursR.seconds : undefined;
    const rl = ok(myloaderR) ? myloaderR.seconds / oursR.seconds : undefined;
    const met = (rm === undefined || rm >= 2) && (rl === undefined || rl >= 1) && oursR.equal === true;
    goals.push({
      goal: "restore >= 2x `mariadb <` and >= myloader",
      met: rm === undefined || rl === undefined ? (met ? null : false) : met,
      detail: `${oursR.seconds.toFixed(1)} s: ${rm !== undefined ? `${rm.toFixed(2)}x mariadb <` : "mariadb < not measured"}, ${rl !== undefined ? `${rl.toFixed(2)}x myloader` : "myloader not measured"}${oursR.equal ? "" : "; restored data NOT equal to the source"}`,
    });
  } else goals.push({ goal: "restore >= 2x `mariadb <` and >= myloader", met: null, detail: "not measured" });

  const ourRss = lines.filter((l) => l.ours && ok(l) && typeof l.peakRssMb === "number").map((l) => ({ name: l.short ?? l.name, mb: l.peakRssMb as number, tree: l.rss?.treePeakMb ?? 0 }));
  for (const l of lines) if (l.ours && ok(l) && typeof l.extra?.restorePeakRssMb === "number") ourRss.push({ name: `${l.short} restore`, mb: l.extra.restorePeakRssMb, tree: 0 });
  if (lag.archiverRss?.mainPeakMb) ourRss.push({ name: "binlog-stream", mb: lag.archiverRss.mainPeakMb, tree: lag.archiverRss.treePeakMb });
  if (ourRss.length) {
    const sorted = [...ourRss].sort((a, b) => b.mb - a.mb);
    const worstTree = [...ourRss].sort((a, b) => b.tree - a.tree)[0]!;
    goals.push({
      goal: "peak RSS < 300 MB (our process)",
      met: sorted[0]!.mb < 300,
      detail: `${sorted.map((r) => `${r.name} ${r.mb}`).join(", ")} MB; largest process-tree sum with zstd children: ${worstTree.tree} MB (${worstTree.name})`,
    });
  } else goals.push({ goal: "peak RSS < 300 MB (our process)", met: null, detail: "not measured" });

  // the load that reached the rate decides (write_only first); without one, the verdict stays open
  const atRate = lag.runs.find((x) => (x.achievedTps ?? 0) >= 0.95 * x.targetRate);
  const lagRun = atRate ?? lag.runs[0];
  if (lagRun) {
    const p99ok = lagRun.lagP99Ms <= 1000;
    goals.push({
      goal: `archive lag p99 <= 1 s at ${lagRun.targetRate} tx/s`,
      met: p99ok && atRate ? true : !p99ok ? false : null,
      detail: `${lagRun.workload.split(",")[0]}: p99 ${lagRun.lagP99Ms} ms (p50 ${lagRun.lagP50Ms}, max ${lagRun.lagMaxMs}) at ${f1(lagRun.achievedTps, 0)} tx/s achieved${atRate ? "" : " (the target rate was not reached: open)"}`,
    });
  } else goals.push({ goal: "archive lag p99 <= 1 s at 2k tx/s", met: null, detail: lag.skipped ?? lag.error ?? "not measured" });

  const rep = lines.filter((l) => l.group === "replay");
  const oursP = rep.find((l) => l.ours);
  const peerP = rep.find((l) => !l.ours);
  if (ok(oursP) && ok(peerP)) {
    const r = peerP.seconds / oursP.seconds;
    const equal = oursP.equal === true && peerP.equal === true;
    goals.push({ goal: "replay faster than mariadb-binlog | mariadb", met: r > 1 && equal, detail: `${oursP.seconds.toFixed(1)} s vs ${peerP.seconds.toFixed(1)} s = ${r.toFixed(2)}x${equal ? "; both copies equal to the source" : "; copies NOT equal to the source"}` });
  } else goals.push({ goal: "replay faster than mariadb-binlog | mariadb", met: null, detail: "not measured" });

  const perGb = (l: Line | undefined, key = "backupSecondsPerGb") => (ok(l) ? (l.extra?.[key] as number | undefined) : undefined);
  const phys = lines.filter((l) => l.group === "physical");
  const snap = phys.find((l) => l.name.includes("snapshot"));
  const mb = phys.find((l) => l.name.includes("mariabackup"));
  const stream = lines.find((l) => l.group === "stream");
  const claims: [string, number | undefined, number, string][] = [
    ["snapshot backup s/GB <= seed's snapshot (ZFS)", perGb(snap), SEED_CLAIMS.snapshot, "Btrfs snapshot engine"],
    ["hot physical backup s/GB <= seed's clone", perGb(mb), SEED_CLAIMS.clone, "mariabackup engine (clone is MySQL 8 only; it cannot run here)"],
    ["streaming s/GB <= seed's streaming", perGb(stream, "secondsPerGb"), SEED_CLAIMS.streaming, "our logical dump to S3 (s3rver)"],
    ["logical dump s/GB <= seed's mysqldump", ok(ours3) ? (ours3.extra?.secondsPerGb as number | undefined) : undefined, SEED_CLAIMS.mysqldump, "ours, zstd-3"],
  ];
  for (const [goal, v, claim, what] of claims) {
    goals.push({ goal, met: v === undefined ? null : v <= claim, detail: v === undefined ? "not measured" : `${what}: ${v.toFixed(1)} s/GB vs ${claim.toFixed(1)} s/GB claimed` });
  }
  return goals;
}

/** "tool / server" CPU seconds of a line. */
function cpuCell(l: Line): string {
  const t = l.cpuSeconds;
  const s = l.serverCpuSeconds;
  if (t == null && s == null) return "—";
  return `${t == null ? "?" : t.toFixed(1)} / ${s == null ? "?" : s.toFixed(1)}`;
}

function cpuPerGb(l: Line, gb: number): string {
  return l.cpuSeconds == null || !gb ? "—" : (l.cpuSeconds / gb).toFixed(1);
}

/** A table row; `|` inside a cell is escaped so commands like `a | b` stay in their cell. */
function row(cells: (string | number | null | undefined)[]): string {
  return `| ${cells.map((c) => String(c ?? "—").replace(/\|/g, "\\|").replace(/\n/g, " ")).join(" | ")} |`;
}

function header(cells: string[]): string[] {
  return [row(cells), `|${cells.map(() => "---").join("|")}|`];
}

export function renderMarkdown(r: Report): string {
  const m = r.machine;
  const d = r.dataset;
  const out: string[] = [];
  const gb = d.innodbBytes / 2 ** 30;
  out.push(`# dbbackup benchmark, ${r.startedAt.slice(0, 16).replace("T", " ")} UTC`, "");
  out.push(
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.ramGb} GB RAM, ${m.os}, kernel ${m.kernel}, Node ${m.node}. Disk: ${m.disk}.`,
    `Load average (1 min) during the run: mean ${r.load.mean}, max ${r.load.max.toFixed(2)} (other processes on the machine were not stopped).`,
    `Versions: ${Object.entries(m.versions)
      .map(([k, v]) => `${k}: ${v ?? "not installed"}`)
      .join("; ")}.`,
    "",
    `Dataset (database \`sbtest\`): ${d.sysbenchTables} sysbench tables x ${d.sysbenchRowsPerTable.toLocaleString("en-US")} rows + \`wide\` (${d.wideRows.toLocaleString("en-US")} rows of JSON, BLOB, TEXT, DECIMAL, DATETIME(6); ${(d.wideShare * 100).toFixed(0)}% of the bytes). ` +
      `InnoDB data+index: **${(d.innodbBytes / 1e6).toFixed(0)} MB** (${gb.toFixed(2)} GiB, the "GB" of every s/GB); mariadb-dump SQL: **${d.logicalBytes ? (d.logicalBytes / 1e6).toFixed(0) : "?"} MB**; our SQL (with its framing comments): ${d.oursRawBytes ? (d.oursRawBytes / 1e6).toFixed(0) : "?"} MB. ` +
      `Source datadir ${d.datadirOnBtrfs ? "on a Btrfs subvolume on a loop device" : "on the work disk (no Btrfs)"}; built in ${(d.buildMs / 1000).toFixed(0)} s.`,
    "",
    `Method: every step ran once, on the same data, after a warm-up read of every table (CHECKSUM TABLE ... EXTENDED; OS caches cannot be dropped here, so "warm", not cold). ` +
      `MB/s = ${r.logicalSizeDefinition} / wall time of the command (MB = 10^6 bytes). Peak RSS = VmHWM of the tool's own process from /proc/<pid>/status (sampled every 200 ms; ours run as child processes through bin/dbbackup; zstd children are listed apart). ` +
      `CPU s = user + system seconds of the tool's whole process tree (cutime/cstime of the benchmark process around the command: zstd, mariadb and the CLI's children included) / of the MariaDB server's threads during the step (the source for dumps, with the probe's commits; the target for restores); on a 2-core machine CPU, not wall time, is what a faster tool must save; it moves less with the load of other processes than wall time, but it does move (shared caches and cores: the same dump measured 10.3 and 14.0 CPU s at load 15 and at load 10 with tests running), so compare lines of one run. ` +
      `"probe": a connection commits a row every 10 ms during the step; "lock wait" is the longest time its commit stood in a "Waiting for ... lock" state (processlist read every 5 ms), "longest commit" its slowest commit, which also holds fsync and CPU stalls of the busy machine.`,
    "",
  );

  out.push("## Goals", "", ...header(["goal", "met", "measured"]));
  for (const g of r.goals) out.push(row([g.goal, g.met === null ? "open (not measured)" : g.met ? "**yes**" : "**no**", g.detail]));
  out.push("");

  const dumps = r.lines.filter((l) => l.group === "dump");
  const peerFast = dumps.filter((l) => !l.ours && ok(l)).sort((a, b) => a.seconds! - b.seconds!)[0];
  out.push("## Logical dump", "", ...header(["tool", "time s", "MB/s", "speed vs faster peer", "CPU s: tool / server", "tool CPU s/GB", "lock ms (reported)", "probe: lock wait / longest commit ms", "peak RSS MB", "output MB", "notes"]));
  for (const l of dumps) {
    const s = status(l);
    if (s) out.push(row([l.name, "—", "—", "—", "—", "—", "—", "—", "—", "—", s]));
    else out.push(row([l.name, f1(l.seconds), f1(l.mbPerSec), peerFast ? `${f1(ratio(l.seconds, peerFast.seconds), 2)}x` : "—", cpuCell(l), cpuPerGb(l, gb), lockCell(l), probeCell(l), l.peakRssMb, mbs(l.outputBytes), [l.lockNote, l.note].filter(Boolean).join("; ")]));
  }
  out.push("");

  const rest = r.lines.filter((l) => l.group === "restore");
  const mariadbR = rest.find((l) => !l.ours && l.name.includes("mariadb") && ok(l));
  out.push("## Logical restore (each into a fresh, empty server; binlog on for all three)", "", ...header(["tool", "time s", "MB/s", "speed vs mariadb <", "CPU s: tool / server", "tool CPU s/GB", "peak RSS MB", "equal to source", "notes"]));
  for (const l of rest) {
    const s = status(l);
    if (s) out.push(row([l.name, "—", "—", "—", "—", "—", "—", "—", s]));
    else out.push(row([l.name, f1(l.seconds), f1(l.mbPerSec), mariadbR ? `${f1(ratio(l.seconds, mariadbR.seconds), 2)}x` : "—", cpuCell(l), cpuPerGb(l, gb), l.peakRssMb, equalCell(l), l.note ?? ""]));
  }
  out.push("");

  out.push(
    `## Physical backups and streaming, per GB (${gb.toFixed(2)} GiB of InnoDB data+index), next to the seed's claims`,
    "",
    ...header(["line", "backup s", "s/GB", "seed claim s/GB", "lock ms (reported)", "probe: lock wait / longest commit ms", "peak RSS MB", "output MB", "restore s (s/GB)", "equal to source", "notes"]),
  );
  const physRows: [Line | undefined, string, number][] = [
    [r.lines.find((l) => l.group === "physical" && l.name.includes("snapshot")), "snapshot (ZFS)", SEED_CLAIMS.snapshot],
    [r.lines.find((l) => l.group === "physical" && l.name.includes("mariabackup")), "clone (MySQL 8 only, not runnable here)", SEED_CLAIMS.clone],
    [r.lines.find((l) => l.group === "stream"), "streaming", SEED_CLAIMS.streaming],
    [dumps.find((l) => l.ours && l.name.includes("zstd-3")), "mysqldump", SEED_CLAIMS.mysqldump],
    [dumps.find((l) => !l.ours && l.name.startsWith("mariadb-dump")), "mysqldump", SEED_CLAIMS.mysqldump],
  ];
  for (const [l, claimName, claim] of physRows) {
    if (!l) continue;
    const s = status(l);
    const claimCell = `${claim.toFixed(1)} (${claimName})`;
    const restore = l.extra?.restoreSeconds as number | undefined;
    if (s) out.push(row([l.name, "—", "—", claimCell, "—", "—", "—", "—", "—", "—", s]));
    else
      out.push(
        row([
          l.name,
          f1(l.seconds),
          f1(l.seconds! / gb),
          claimCell,
          lockCell(l),
          probeCell(l),
          l.peakRssMb,
          mbs(l.outputBytes),
          restore !== undefined ? `${f1(restore)} (${f1(restore / gb)})` : "—",
          equalCell(l),
          l.group === "dump" ? "from the logical dump table" : (l.note ?? ""),
        ]),
      );
  }
  out.push("");

  const lag = r.lag;
  out.push("## Binlog archive lag under a write load (`dbbackup binlog-stream` as a child)", "");
  if (!lag.runs.length) out.push(lag.skipped ? `Skipped: ${lag.skipped}` : `Not measured: ${lag.error ?? "the step did not run"}`, "");
  else {
    out.push(...header(["workload", "seconds", "target tx/s", "achieved tx/s", "lag p50 ms", "lag p99 ms", "lag max ms", "samples", "events/s", "binlog MB/s", "archiver's own max lag s"]));
    for (const x of lag.runs) {
      out.push(row([x.workload, f1(x.seconds, 0), x.targetRate, f1(x.achievedTps, 0), x.lagP50Ms, x.lagP99Ms, x.lagMaxMs, x.samples, x.eventsPerSec, x.binlogBytesPerSec ? (x.binlogBytesPerSec / 1e6).toFixed(2) : "—", x.archiverReportedLagMaxS]));
    }
    out.push("", `Archiver peak RSS: ${lag.archiverRss?.mainPeakMb ?? "?"} MB. ${lag.note ?? ""}${lag.error ? ` Error: ${lag.error}` : ""}`, "");
  }

  const rep = r.lines.filter((l) => l.group === "replay");
  out.push("## Binlog replay of that load onto identical restored copies", "", ...header(["tool", "time s", "binlog MB/s", "transactions/s", "peak RSS MB", "equal to source", "notes"]));
  for (const l of rep) {
    const s = status(l);
    if (s) out.push(row([l.name, "—", "—", "—", "—", "—", s]));
    else out.push(row([l.name, f1(l.seconds), f1(l.extra?.binlogMbPerSec as number), l.extra?.transactionsPerSec as number, l.peakRssMb, equalCell(l), l.note ?? ""]));
  }
  out.push("");

  const inc = r.lines.filter((l) => l.group === "incidents");
  if (inc.length) {
    out.push("## Incident index of that archive", "", ...header(["tool", "time s", "binlog MB/s", "peak RSS MB", "notes"]));
    for (const l of inc) {
      const s = status(l);
      if (s) out.push(row([l.name, "—", "—", "—", s]));
      else out.push(row([l.name, f1(l.seconds), f1(l.extra?.binlogMbPerSec as number), l.peakRssMb, l.note ?? ""]));
    }
    out.push("");
  }

  const incr = r.lines.filter((l) => l.group === "incremental");
  if (incr.length) {
    out.push("## mariabackup incrementals: size and time after changing rows, restore time against chain length", "", ...header(["line", "time s", "output MB", "chain length", "peak RSS MB", "equal to source at its point", "notes"]));
    for (const l of incr) {
      const s = status(l);
      if (s) out.push(row([l.name, "—", "—", "—", "—", "—", s]));
      else out.push(row([l.name, f1(l.seconds), l.outputBytes === undefined ? "—" : mbs(l.outputBytes), l.extra?.chainLength as number, l.peakRssMb, l.equal === undefined ? "—" : equalCell(l), l.note ?? ""]));
    }
    out.push("");
  }

  const ag = r.lines.filter((l) => l.group === "agents");
  if (ag.length) {
    out.push("## Runner agents: two busy at once, each backing up its own host straight to its target", "", ...header(["line", "time s", "stored MB", "peak RSS MB", "notes"]));
    for (const l of ag) {
      const s = status(l);
      if (s) out.push(row([l.name, "—", "—", "—", s]));
      else out.push(row([l.name, f1(l.seconds), l.outputBytes === undefined ? "—" : mbs(l.outputBytes), l.peakRssMb ?? "—", l.note ?? ""]));
    }
    out.push("");
  }

  if (r.notes.length) {
    out.push("## Notes", "");
    for (const n of r.notes) out.push(`- ${n}`);
    out.push("");
  }
  return out.join("\n");
}
