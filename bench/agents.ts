// `npm run bench:agents` (and the "agents" group of `npm run bench`): two runner agents busy at
// once, each backing up its own host (logical, zstd-1, to a local target on the agent): throughput
// per agent, and the CPU the dashboard process (catalog, runner, agent API, BullMQ dispatch) spends
// meanwhile, since the data never passes it.
//   npm run bench:agents -- [--mb 256] [--rounds 2] [--json]
import os from "node:os";
import { startBackup } from "../server/backups/start-backup";
import { db } from "../server/db/client";
import { waitForRun } from "../test/helpers/runs";
import { startAgentHarness } from "./agents-harness";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

/** What one measurement gives (printed as JSON with --json, read by bench/agents-step.ts). */
export type AgentsBenchResult = {
  rows: { round: number; host: string; seconds: number; rawMB: number; storedMB: number; mbPerS: number }[];
  /** user + system CPU of the dashboard process while the agents were busy */
  dashboardCpuSeconds: number;
  wallSeconds: number;
  backupsRecorded: number;
  loadAverage: number[];
};

async function measure(mb: number, rounds: number): Promise<AgentsBenchResult> {
  const h = await startAgentHarness({ hosts: 2, leaseMs: 30_000, blobMb: mb });
  try {
    const agents = h.hosts.map((x) => h.agent(x.token));
    await Promise.all(agents.map((a) => a.waitFor(/registered as agent/)));
    const rows: AgentsBenchResult["rows"] = [];
    let cpuMs = 0;
    let wallMs = 0;
    for (let r = 1; r <= rounds; r++) {
      const cpu0 = process.cpuUsage();
      const t0 = Date.now();
      const runs = await Promise.all(h.hosts.map((x) => startBackup({ input: { hostId: x.id, targetId: h.targetId, engine: "logical", databases: ["load1"], compression: "zstd", level: 1, parallel: 2 }, actor: { system: "bench" } })));
      const done = await Promise.all(runs.map((run) => waitForRun(run.id, 600_000)));
      const wall = Date.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      cpuMs += (cpu.user + cpu.system) / 1000;
      wallMs += wall;
      for (const [i, d] of done.entries()) {
        if (d.state !== "succeeded") throw new Error(`run ${d.id} ${d.state}: ${d.error}`);
        const res = JSON.parse(d.result!) as { rawBytes: number; storedBytes: number };
        const seconds = (d.finishedAt!.getTime() - d.startedAt!.getTime()) / 1000;
        rows.push({ round: r, host: h.hosts[i]!.name, seconds, rawMB: res.rawBytes / 1e6, storedMB: res.storedBytes / 1e6, mbPerS: res.rawBytes / 1e6 / seconds });
      }
    }
    return { rows, dashboardCpuSeconds: cpuMs / 1000, wallSeconds: wallMs / 1000, backupsRecorded: await db().backup.count(), loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) };
  } finally {
    await h.close();
  }
}

async function main() {
  const r = await measure(arg("mb", 256), arg("rounds", 2));
  if (process.argv.includes("--json")) {
    process.stdout.write(JSON.stringify(r) + "\n");
    return;
  }
  console.log(`\n| round | host (agent) | seconds | raw MB | MB/s |\n|---|---|---|---|---|`);
  for (const x of r.rows) console.log(`| ${x.round} | ${x.host} | ${x.seconds.toFixed(1)} | ${x.rawMB.toFixed(0)} | ${x.mbPerS.toFixed(1)} |`);
  console.log(`\ndashboard process CPU while 2 agents were busy: ${r.dashboardCpuSeconds.toFixed(2)} s over ${r.wallSeconds.toFixed(1)} s wall = ${((r.dashboardCpuSeconds / r.wallSeconds) * 100).toFixed(1)}% of one core; ${r.backupsRecorded} backups recorded; load average ${r.loadAverage.join(" ")}`);
}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
