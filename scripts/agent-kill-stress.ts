// kill -9 of a runner agent mid-backup, N times (default 20): each time the run must end retried
// and succeeded (or failed when out of attempts) with exactly one backup per succeeded run, no
// objects on disk that the catalog does not list, and no run left running.
//   npx tsx scripts/agent-kill-stress.ts [iterations]
import { startBackup } from "../server/backups/start-backup";
import { db } from "../server/db/client";
import { sleep, waitFor, waitForRun } from "../test/helpers/runs";
import { startAgentHarness } from "../bench/agents-harness";

const N = Number(process.argv[2] || 20);

async function main() {
  const h = await startAgentHarness({ hosts: 1, leaseMs: 4000, blobMb: 48 });
  const host = h.hosts[0]!;
  const counts = { iterations: 0, killedMidway: 0, finishedBeforeKill: 0, succeeded: 0, failed: 0, retries: 0, orphanPrefixes: 0, duplicateBackups: 0, stuckRuns: 0 };
  let agent = h.agent(host.token);
  await agent.waitFor(/registered as agent/);
  try {
    for (let i = 1; i <= N; i++) {
      counts.iterations++;
      const run = await startBackup({ input: { hostId: host.id, targetId: h.targetId, engine: "logical", databases: ["load1"], compression: "zstd", level: 1, parallel: 2 }, actor: { system: "stress" } });
      // kill at a random moment once the agent holds the run and has written something
      await waitFor(async () => {
        const r = await db().run.findUniqueOrThrow({ where: { id: run.id } });
        return r.fence > 0 || ["succeeded", "failed"].includes(r.state);
      }, 60_000, "the agent to claim the run");
      await sleep(100 + Math.floor(Math.random() * 1200));
      const before = await db().run.findUniqueOrThrow({ where: { id: run.id } });
      agent.proc.kill("SIGKILL");
      if (before.state === "running") counts.killedMidway++;
      else counts.finishedBeforeKill++;
      await sleep(300);
      agent = h.agent(host.token);
      const done = await waitForRun(run.id, 120_000).catch(() => null);
      if (!done) {
        counts.stuckRuns++;
        continue;
      }
      if (done.state === "succeeded") counts.succeeded++;
      else counts.failed++;
      counts.retries += done.attempt - 1;
      const backups = await db().backup.count({ where: { runId: run.id } });
      if (done.state === "succeeded" && backups !== 1) counts.duplicateBackups++;
      // every prefix on disk is a recorded backup (partial ones removed)
      const recorded = new Set((await db().backup.findMany({ where: { hostId: host.id } })).map((b) => b.location));
      const orphans = h.prefixesOnDisk(host.name).filter((p) => !recorded.has(p));
      counts.orphanPrefixes += orphans.length;
      console.log(`#${i}: ${before.state === "running" ? "killed mid-backup" : "killed after it finished"} -> ${done.state} after ${done.attempt} attempt(s), backups recorded ${backups}, orphan prefixes ${orphans.length}`);
    }
    const running = await db().run.count({ where: { state: { in: ["running", "queued"] } } });
    console.log(JSON.stringify({ ...counts, runsLeftRunningOrQueued: running }, null, 2));
    const ok = counts.orphanPrefixes === 0 && counts.duplicateBackups === 0 && counts.stuckRuns === 0 && running === 0;
    console.log(ok ? "OK: every run ended, one backup per success, no orphan objects" : "FAILED: see the counts above");
    process.exitCode = ok ? 0 : 1;
  } finally {
    await h.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
