// The "agents" group: bench/agents.ts as a child process (it runs a dashboard of its own, with its
// own catalog, redis-server and two `dbbackup agent` processes, each backing up its own sandbox
// host). One line per agent (its backup's throughput) and one for the dashboard's CPU meanwhile.
import path from "node:path";
import { attempt, type BenchContext } from "./context";
import { findTool } from "../server/mysql/tools";
import { log } from "./log";
import { ROOT, run } from "./proc";
import type { AgentsBenchResult } from "./agents";

export async function agentsStep(ctx: BenchContext) {
  const missing = findTool("redis-server") ? undefined : "redis-server is not installed (apt-get install redis-server)";
  const mb = ctx.args.quick ? 64 : 256;
  let result: AgentsBenchResult | null = null;
  const measured = await attempt(ctx, { group: "agents", name: `2 agents busy at once: logical zstd-1 backup of ${mb} MB each, to a local target on the agent`, short: "agents", ours: true, skipped: missing }, async (line) => {
    const proc = await run("node", ["--import", "tsx", path.join(ROOT, "bench", "agents.ts"), "--mb", String(mb), "--rounds", "1", "--json"], { label: "bench/agents.ts" });
    result = JSON.parse(proc.stdout.trim().split("\n").pop()!) as AgentsBenchResult;
    Object.assign(line, {
      seconds: result.wallSeconds,
      note: `dashboard process CPU ${result.dashboardCpuSeconds.toFixed(2)} s = ${((result.dashboardCpuSeconds / result.wallSeconds) * 100).toFixed(1)}% of one core while both ran; ${result.backupsRecorded} backups recorded`,
      extra: { dashboardCpuSeconds: result.dashboardCpuSeconds, dashboardCpuPercent: Math.round((result.dashboardCpuSeconds / result.wallSeconds) * 1000) / 10, perAgent: result.rows },
    });
  });
  const r = result as AgentsBenchResult | null;
  if (r) for (const x of r.rows) ctx.lines.push({ group: "agents", name: `agent of ${x.host}`, ours: true, seconds: x.seconds, outputBytes: x.storedMB * 1e6, note: `${x.rawMB.toFixed(0)} MB raw at ${x.mbPerS.toFixed(1)} MB/s`, extra: { rawMB: x.rawMB, mbPerS: x.mbPerS } });
  if (!measured.error && !measured.skipped) log(`agents: ${measured.note}`);
}
