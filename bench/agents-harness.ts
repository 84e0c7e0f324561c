// A dashboard (catalog, runner, agent API, BullMQ dispatch) in this process, a real redis-server
// and `dbbackup agent` child processes, for scripts/agent-kill-stress.ts and bench/agents.ts.
// Everything lives in one temp dir and is removed by close().
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { registerBuiltins } from "../server/composition-root";
import { bindHost, createAgent } from "../server/agents/manage-agents";
import { startAgentDispatch } from "../server/agents/queue";
import { closeDb, db } from "../server/db/client";
import { startSandbox, type Sandbox } from "../server/mysql/sandbox";
import { setRunDispatcher } from "../server/runner/dispatch";
import { Runner } from "../server/runner/runner";
import { startAgentApiServer, startAgentProcess, type AgentProcess } from "../test/helpers/agents";
import { startRedis } from "../test/helpers/redis";

export async function startAgentHarness(o: { hosts: number; leaseMs: number; blobMb: number }) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-agent-harness-"));
  process.env.DBBACKUP_DATA_DIR = path.join(work, "catalog");
  process.env.DBBACKUP_RUNNER_LEASE_MS = String(o.leaseMs);
  process.env.DBBACKUP_LOG_LEVEL ??= "error";
  registerBuiltins();
  const backupsDir = path.join(work, "backups");
  const redis = await startRedis();
  process.env.DBBACKUP_REDIS_URL = redis.url;
  const api = await startAgentApiServer();
  const admin = { system: "harness" };
  const target = await db().storageTarget.create({ data: { name: "local", kind: "local", path: backupsDir } });
  const hosts: { id: string; name: string; sb: Sandbox; agentId: string; token: string }[] = [];
  for (let i = 0; i < o.hosts; i++) {
    const sb = await startSandbox();
    // incompressible rows so a dump takes long enough to be interrupted and to measure
    await sb.sql(`CREATE DATABASE load1; CREATE TABLE load1.blobs (id INT PRIMARY KEY, b LONGBLOB) ENGINE=InnoDB`);
    for (let mb = 0; mb < o.blobMb; mb += 8) await sb.sql(`INSERT INTO load1.blobs SELECT seq, REPEAT(RANDOM_BYTES(1024), 4) FROM load1.seq_${mb * 256 + 1}_to_${(mb + 8) * 256}`);
    const name = `db${i + 1}`;
    const h = await db().host.create({ data: { name, host: "127.0.0.1", port: sb.port, user: "root", tlsMode: "disabled" } });
    const a = await createAgent({ name: `agent-${name}`, actor: admin });
    await bindHost({ hostId: h.id, agentId: a.id, actor: admin });
    hosts.push({ id: h.id, name, sb, agentId: a.id, token: a.token });
  }
  const dispatcher = startAgentDispatch()!;
  const runner = new Runner({ pollMs: 100, retryBaseMs: 200 });
  runner.start();
  const agents: AgentProcess[] = [];
  return {
    work,
    backupsDir,
    targetId: target.id,
    hosts,
    redis,
    agent(token: string, env: Record<string, string> = {}) {
      const p = startAgentProcess({ server: api.url, token, env: { DBBACKUP_AGENT_LOCK_MS: "4000", DBBACKUP_AGENT_HEARTBEAT_MS: "1000", ...env } });
      agents.push(p);
      return p;
    },
    prefixesOnDisk(host: string): string[] {
      const dir = path.join(backupsDir, host);
      return fs.existsSync(dir) ? fs.readdirSync(dir).map((d) => `${host}/${d}/`).sort() : [];
    },
    async close() {
      await runner.stop();
      setRunDispatcher(null);
      await dispatcher.close();
      await Promise.all(agents.map((a) => a.stop()));
      for (const h of hosts) await h.sb.stop().catch(() => undefined);
      await api.close();
      await redis.stop();
      await closeDb();
      fs.rmSync(work, { recursive: true, force: true });
    },
  };
}
