// Restores on runner agents, end to end with real parts: a real redis-server, the dashboard's agent
// API and runner in this process over a fresh catalog, and a `dbbackup agent` child process bound to
// host B (a sandbox MariaDB started the way a start command starts it again). Host S is a source
// that no agent is bound to (its backups and its binlog archive run embedded). A restore of S's
// backup into B executes on B's agent (the target's), is compared by CHECKSUM TABLE ... EXTENDED
// and row counts; a failing restore and a kill -9 mid-restore leave no created database behind; an
// in-place physical restore on the agent brings B's datadir back to its backup; a point-in-time
// restore of S into B runs on B's agent from the plan the dashboard made, reading shipped binlogs.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindHost, createAgent } from "../../server/agents/manage-agents";
import { startAgentDispatch, type AgentDispatcher } from "../../server/agents/queue";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import { connectServer } from "../../server/mysql/connect";
import { freePort, startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { findTool } from "../../server/mysql/tools";
import { startPitr } from "../../server/pitr/start-pitr";
import { startRestore } from "../../server/restore/start-restore";
import { cancelRun } from "../../server/runner/cancel-run";
import { setRunDispatcher } from "../../server/runner/dispatch";
import { Runner } from "../../server/runner/runner";
import { startAgentApiServer, startAgentProcess, type AgentProcess } from "../helpers/agents";
import { useTempCatalog } from "../helpers/catalog";
import { seedSample, tableStates } from "../helpers/physical";
import { archive, archivedUpToNow, fingerprint, mark, shipEverything, type Bed } from "../helpers/pitr";
import { startRedis, type TestRedis } from "../helpers/redis";
import { checksums, runLog, waitFor, waitForRun } from "../helpers/runs";

const execP = promisify(execFile);
useTempCatalog();
process.env.DBBACKUP_RUNNER_LEASE_MS = "9000";
const AGENT_ENV = { DBBACKUP_AGENT_LOCK_MS: "2000", DBBACKUP_AGENT_HEARTBEAT_MS: "1000" };

const admin = { id: "u-admin", email: "admin@example.test", role: "admin" as const };
let hostS: Sandbox; // source, no agent: embedded backups and archive
let hostB: Sandbox; // bound to agent B; restarted by a start script after an in-place restore
let redis: TestRedis;
let api: Awaited<ReturnType<typeof startAgentApiServer>>;
let runner: Runner;
let dispatcher: AgentDispatcher;
let agentB: AgentProcess;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-agents-restore-"));
const backupsDir = path.join(work, "backups");
let startScript: string;
let ids: { s: string; b: string; target: string; agentB: string; agentX: string };
let tokens: { b: string; x: string };
let holdBackupId: string;

/** What `systemctl start mariadb` does for host B: starts mariadbd on its datadir in the background. */
function writeStartScript(sb: Sandbox) {
  const args = [
    "--no-defaults", `--datadir=${sb.datadir}`, `--port=${sb.port}`, `--socket=${sb.socket}`, "--bind-address=127.0.0.1", `--server-id=${sb.serverId}`,
    `--log-error=${sb.errorLog}`, `--pid-file=${path.join(sb.dir, "mysqld.pid")}`, `--tmpdir=${sb.tmpdir}`, "--skip-name-resolve", "--innodb-buffer-pool-size=128M",
    "--innodb-log-file-size=64M", "--max-allowed-packet=256M", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
    ...(process.getuid?.() === 0 ? ["--user=root"] : []),
  ].join(" ");
  const p = path.join(work, "start-b.sh");
  fs.writeFileSync(p, `#!/bin/sh\nnohup ${findTool("mariadbd", "mysqld")} ${args} >/dev/null 2>&1 &\nexit 0\n`, { mode: 0o755 });
  return p;
}

beforeAll(async () => {
  [hostS, hostB, redis, api] = await Promise.all([startSandbox(), startSandbox({ port: await freePort(), binlog: false }), startRedis(), startAgentApiServer()]);
  startScript = writeStartScript(hostB);
  await Promise.all([seedSample(hostS, 1500), seedSample(hostB, 500)]);
  // a database whose restore can be held mid-way: a big table loaded first, a small one last
  await hostS.sql(`CREATE DATABASE hold; CREATE TABLE hold.data (id INT PRIMARY KEY, b BLOB) ENGINE=InnoDB;
    INSERT INTO hold.data SELECT seq, RANDOM_BYTES(1024) FROM shop.seq_1_to_20000;
    CREATE TABLE hold.zz_notes (note VARCHAR(20)) ENGINE=InnoDB; INSERT INTO hold.zz_notes VALUES ('one'), ('two')`);
  await db().user.create({ data: { id: admin.id, email: admin.email, role: "admin", passwordHash: "x" } });
  const mk = async (name: string, sb: Sandbox) => (await db().host.create({ data: { name, host: "127.0.0.1", port: sb.port, user: "root", tlsMode: "disabled", archiveCompress: true } })).id;
  const target = await db().storageTarget.create({ data: { name: "local", kind: "local", path: backupsDir } });
  const gb = await createAgent({ name: "agent-b", actor: admin });
  const gx = await createAgent({ name: "agent-x", actor: admin });
  ids = { s: await mk("db-s", hostS), b: await mk("db-b", hostB), target: target.id, agentB: gb.id, agentX: gx.id };
  tokens = { b: gb.token, x: gx.token };
  await bindHost({ hostId: ids.b, agentId: ids.agentB, actor: admin });
  process.env.DBBACKUP_REDIS_URL = redis.url;
  dispatcher = startAgentDispatch()!;
  runner = new Runner({ pollMs: 100, retryBaseMs: 200, maxConcurrent: 4 });
  runner.start();
  agentB = startAgentProcess({ server: api.url, token: tokens.b, env: AGENT_ENV });
  await agentB.waitFor(/registered as agent agent-b/);
}, 180_000);

afterAll(async () => {
  await runner?.stop();
  setRunDispatcher(null);
  await dispatcher?.close();
  await agentB?.stop();
  // host B may run detached from its start script now: stop it by SQL
  const c = hostB ? await connectServer(hostB.address()).catch(() => null) : null;
  if (c) {
    const pid = Number(fs.readFileSync(path.join(hostB.dir, "mysqld.pid"), "utf8").trim() || 0);
    await c.query("SHUTDOWN").catch(() => undefined);
    c.destroy();
    for (let i = 0; i < 200 && pid && (await execP("kill", ["-0", String(pid)]).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  }
  await Promise.all([hostS?.stop(), hostB?.stop()].map((p) => p?.catch(() => undefined)));
  await api?.close();
  await redis?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}, 120_000);

const backupInput = (hostId: string, engine: string, databases: string[] = []) => ({ hostId, targetId: ids.target, engine, databases, excludeTables: [], compression: "zstd" as const, parallel: 2, includeUsers: false });

async function backupOf(hostId: string, engine: string, databases: string[] = []) {
  const run = await startBackup({ input: backupInput(hostId, engine, databases), actor: admin });
  const done = await waitForRun(run.id, 120_000);
  expect(done.state, await runLog(run.id)).toBe("succeeded");
  return db().backup.findFirstOrThrow({ where: { runId: run.id } });
}

const databasesOf = async (sb: Sandbox) => (await sb.sql<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA")).map((r) => r.n);
const restoreInput = (backupId: string, databases: string[], rename: Record<string, string>) => ({ backupId, targetHostId: ids.b, databases, rename, dropExisting: false, parallel: 1 });

/**
 * Holds a restore of S's `hold` into B as `name` mid-way: the restore creates the schema first,
 * then loads the big table; a session of ours locks the small table (loaded last) as soon as it
 * exists, so the restore waits there with its database created.
 */
async function holdRestoreMidway(backupId: string, name: string) {
  const run = await startRestore({ input: restoreInput(backupId, ["hold"], { hold: name }), actor: admin });
  const blocker = await hostB.connect();
  blocker.on("error", () => undefined);
  const count = async (sql: string) => Number(((await blocker.query(sql)) as unknown as [{ n: number }[]])[0][0]!.n);
  await waitFor(async () => (await count(`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${name}' AND TABLE_NAME = 'zz_notes'`)) === 1, 60_000, `the restore to create ${name}.zz_notes`);
  await blocker.query(`LOCK TABLES ${name}.zz_notes WRITE`);
  await waitFor(async () => (await count(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%zz_notes%' AND STATE LIKE 'Waiting for table metadata lock%'`)) >= 1, 60_000, `the restore to wait at ${name}.zz_notes`);
  const row = await db().run.findUniqueOrThrow({ where: { id: run.id } });
  expect(row.state).toBe("running");
  expect(JSON.parse(row.result!).workspace).toEqual({ targetHostId: ids.b, created: [name] });
  const release = () => blocker.end().catch(() => undefined);
  return {
    runId: run.id,
    release,
    /** waits until the server's DROP DATABASE of the restore's database waits at our lock (proof it cleans up), then lets go */
    releaseWhenDropped: async () => {
      await waitFor(async () => (await count(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DROP DATABASE%${name}%'`)) >= 1, 60_000, `the server to drop ${name}`);
      await release();
    },
  };
}

describe("restores on the agent of the target host", () => {
  it("a logical restore of host S's backup into host B runs on B's agent and equals the source", async () => {
    const backup = await backupOf(ids.s, "logical", ["shop", "crm"]);
    expect(await runLog(backup.runId!)).not.toMatch(/Queued for agent/); // S has no agent: embedded
    const run = await startRestore({ input: restoreInput(backup.id, ["shop", "crm"], { shop: "shop_copy", crm: "crm_copy" }), actor: admin });
    expect(run.hostId).toBe(ids.b);
    const done = await waitForRun(run.id, 120_000);
    const log = await runLog(run.id);
    expect(done.state, log).toBe("succeeded");
    expect(log).toMatch(/Queued for agent agent-b \(host db-b is bound to it\)/);
    expect(log).toMatch(new RegExp(`on agent agent-b .*fence 1: restoring into db-b from backup ${backup.id}`));
    expect(log).toMatch(/Restored on the agent/);
    expect(agentB.output()).toMatch(new RegExp(`run ${run.id}: claimed .*restore of backup ${backup.id} into db-b`));
    for (const [from, to] of [["shop", "shop_copy"], ["crm", "crm_copy"]] as const) {
      const restored = await checksums(hostB.sql.bind(hostB), to);
      expect(Object.keys(restored).length).toBeGreaterThan(1);
      expect(restored, to).toEqual(await checksums(hostS.sql.bind(hostS), from));
    }
    const result = JSON.parse(done.result!) as { tables: number; rows: number; ms: number; backupId: string; targetHost: string };
    expect(result).toMatchObject({ backupId: backup.id, targetHost: "db-b" });
    expect(result.tables).toBeGreaterThan(5);
    expect(result.rows).toBeGreaterThan(1500);
    expect(result.ms).toBeGreaterThan(0);
    // a token for another agent cannot take, report on or finish B's restore
    const post = (p: string, body: unknown) => fetch(`${api.url}/api/agent/${p}`, { method: "POST", headers: { authorization: `Bearer ${tokens.x}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    const claim = await post(`runs/${run.id}/claim`, { attempt: 1, publicKey: "MCowBQYDK2VuAyEAm7WQ5Yy0mXcPq0zVbqvV8b3jqB2fX9y0J0m2x6Uo1Ak=" });
    expect(claim.status).toBe(403);
    expect((await claim.json()).message).toMatch(/host db-b, which is not bound to agent agent-x/);
    expect((await post(`runs/${run.id}/workspace`, { fence: 1, workspace: { targetHostId: ids.b, created: ["shop"] } })).status).toBe(403);
  }, 180_000);

  it("a restore of host B's backup into host S (no agent) stays with the embedded runner", async () => {
    const backup = await backupOf(ids.b, "logical", ["crm"]);
    expect(await runLog(backup.runId!)).toMatch(/Queued for agent agent-b/);
    const run = await startRestore({ input: { ...restoreInput(backup.id, ["crm"], { crm: "crm_from_b" }), targetHostId: ids.s }, actor: admin });
    const done = await waitForRun(run.id, 120_000);
    const log = await runLog(run.id);
    expect(done.state, log).toBe("succeeded");
    expect(log).not.toMatch(/agent/);
    expect(await checksums(hostS.sql.bind(hostS), "crm_from_b")).toEqual(await checksums(hostB.sql.bind(hostB), "crm"));
  }, 180_000);

  it("a restore that fails on the agent (a corrupted object) fails the run and leaves no created database", async () => {
    const backup = await backupOf(ids.s, "logical", ["crm"]);
    const manifest = JSON.parse(fs.readFileSync(path.join(backupsDir, backup.location, "manifest.json"), "utf8")) as { objects: { path: string; size: number; role: string }[] };
    const obj = manifest.objects.filter((o) => o.role === "data").sort((a, b) => b.size - a.size)[0]!;
    const file = path.join(backupsDir, backup.location, obj.path);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    const run = await startRestore({ input: restoreInput(backup.id, ["crm"], { crm: "crm_bad" }), actor: admin });
    const done = await waitForRun(run.id, 120_000);
    const log = await runLog(run.id);
    expect(done.state, log).toBe("failed");
    expect(log).toMatch(/on agent agent-b .*restoring into db-b/);
    expect(done.error).toMatch(new RegExp(obj.path.replace(/[.]/g, "\\.")));
    // the agent had recorded the database it creates before creating it; the agent dropped it (it may
    // be the only one that reaches the server), and the server's recovery drops it again
    expect(JSON.parse(done.result!).workspace).toEqual({ targetHostId: ids.b, created: ["crm_bad"] });
    expect(log).toMatch(/Dropped the database\(s\) this restore had created: crm_bad\./);
    expect(log).toMatch(/Started .* on agent agent-b/);
    expect(await databasesOf(hostB)).not.toContain("crm_bad");
  }, 180_000);

  it("Cancel on the dashboard reaches the restore on the agent: the run ends cancelled and the database it created is dropped", async () => {
    holdBackupId = (await backupOf(ids.s, "logical", ["hold"])).id;
    const held = await holdRestoreMidway(holdBackupId, "hold_cancel");
    await cancelRun({ runId: held.runId, actor: admin });
    // the agent aborts its connections and reports; the server's DROP DATABASE then waits at our lock
    await held.releaseWhenDropped();
    const done = await waitForRun(held.runId, 60_000);
    expect(done.state, await runLog(held.runId)).toBe("cancelled");
    await waitFor(async () => !(await databasesOf(hostB)).includes("hold_cancel"), 20_000, "hold_cancel to be gone");
  }, 180_000);

  it("kill -9 of the agent mid-restore: the lease ends, the run fails, the database it created is dropped", async () => {
    const held = await holdRestoreMidway(holdBackupId, "hold_copy");
    agentB.proc.kill("SIGKILL");
    await held.release();
    const done = await waitForRun(held.runId, 60_000);
    const log = await runLog(held.runId);
    expect(done.state, log).toBe("failed"); // a restore is not retried on its own
    expect(log).toMatch(/stopped without finishing \(lease expired\); partial work was removed/);
    await waitFor(async () => !(await databasesOf(hostB)).includes("hold_copy"), 10_000, "hold_copy to be gone");
    agentB = startAgentProcess({ server: api.url, token: tokens.b, env: AGENT_ENV });
    await agentB.waitFor(/registered as agent agent-b/);
  }, 180_000);

  it("an agent paused mid-restore past its queue lock: the second claim fails the run (a restore is not retried) and drops its database; on resume the first holder's fence is refused", async () => {
    const held = await holdRestoreMidway(holdBackupId, "hold_paused");
    const first = (await db().run.findUniqueOrThrow({ where: { id: held.runId } })).fence;
    agentB.proc.kill("SIGSTOP");
    const second = startAgentProcess({ server: api.url, token: tokens.b, env: AGENT_ENV });
    try {
      await held.releaseWhenDropped(); // the second claim drops what the first holder created
      const done = await waitForRun(held.runId, 60_000);
      const log = await runLog(held.runId);
      expect(done.state, log).toBe("failed");
      expect(done.error).toMatch(new RegExp(`Claimed again with fence ${first + 1} after the holder of fence ${first} stopped answering the queue: a restore is not retried on its own .*the databases it created \\(hold_paused\\) were dropped`));
      expect(await databasesOf(hostB)).not.toContain("hold_paused");
      agentB.proc.kill("SIGCONT");
      await agentB.waitFor(new RegExp(`run ${held.runId}: fence ${first} refused`), 30_000);
      // the paused holder's statements end without recreating anything
      await new Promise((r) => setTimeout(r, 1000));
      expect(await databasesOf(hostB)).not.toContain("hold_paused");
      expect((await db().run.findUniqueOrThrow({ where: { id: held.runId } })).state).toBe("failed");
    } finally {
      agentB.proc.kill("SIGCONT");
      await held.release();
      await second.stop();
    }
  }, 180_000);

  it("a point-in-time restore of host S into host B runs on B's agent and equals the source at the marked instant", async () => {
    await archive({ targetId: ids.target } as Bed, ids.s);
    const backup = await backupOf(ids.s, "logical", ["shop"]);
    await new Promise((r) => setTimeout(r, 1100)); // the instant below is a whole second after the backup's consistent point
    for (let i = 1; i <= 20; i++) await hostS.sql(`INSERT INTO shop.orders VALUES (${800000 + i}, ${i}, ${i}.5, 'after the backup'); UPDATE shop.counters SET n = n + ${i} WHERE id = 1`);
    await hostS.sql("ALTER TABLE shop.orders ADD COLUMN tag VARCHAR(10) DEFAULT 'x'; UPDATE shop.orders SET tag = 'y' WHERE id % 3 = 0");
    const m = await mark(hostS, "written after the backup", new Date(Math.floor(Date.now() / 1000) * 1000), "shop");
    await new Promise((r) => setTimeout(r, 1100));
    await hostS.sql("INSERT INTO shop.orders (id, customer_id, amount, note) VALUES (899999, 1, 1, 'after the instant'); UPDATE shop.counters SET n = -1");
    await shipEverything(hostS, ids.s);
    const run = await startPitr({ input: { hostId: ids.s, targetHostId: ids.b, until: m.time.toISOString(), databases: ["shop"], rename: { shop: "shop_pitr" }, parallel: 2 }, actor: admin });
    expect(run.hostId).toBe(ids.b);
    const done = await waitForRun(run.id, 180_000);
    const log = await runLog(run.id);
    expect(done.state, log).toBe("succeeded");
    expect(log).toMatch(/Queued for agent agent-b/);
    expect(log).toMatch(new RegExp(`Plan: .*`));
    expect(log).toMatch(new RegExp(`on agent agent-b .*fence 1: point-in-time restore of db-s into db-b from backup ${backup.id}`));
    expect(log).toMatch(/Point-in-time restore done on the agent/);
    expect(await fingerprint(hostB, "shop_pitr")).toEqual(m.fp);
    expect(await fingerprint(hostS, "shop")).not.toEqual(m.fp); // the writes after the instant are not in it
    const result = JSON.parse(done.result!) as { backupId: string; databases: string[]; replay: { transactions: number; stoppedBy: string } };
    expect(result).toMatchObject({ backupId: backup.id, databases: ["shop_pitr"], replay: { stoppedBy: "target" } });
    expect(result.replay.transactions).toBeGreaterThanOrEqual(21);
  }, 240_000);

  it("a point-in-time restore on the agent that needs the archiver's unshipped tail fails at once and says to wait for the ship; after the ship it runs", async () => {
    await hostS.sql("UPDATE shop.counters SET n = 4242 WHERE id = 1; INSERT INTO shop.orders (id, customer_id, amount, note) VALUES (899998, 2, 2, 'in the live tail')");
    const m = await mark(hostS, "only in the live tail", new Date(Math.floor(Date.now() / 1000) * 1000), "shop");
    await new Promise((r) => setTimeout(r, 1100));
    await hostS.sql("UPDATE shop.counters SET n = 0 WHERE id = 1");
    await archivedUpToNow(hostS, ids.s);
    const input = { hostId: ids.s, targetHostId: ids.b, until: m.time.toISOString(), databases: ["shop"], rename: { shop: "shop_tail" }, parallel: 2 };
    const first = await waitForRun((await startPitr({ input, actor: admin })).id, 60_000);
    expect(first.state, await runLog(first.id)).toBe("failed");
    expect(first.error).toMatch(/has not shipped to storage yet.*run FLUSH BINARY LOGS on db-s.*Nothing was restored/);
    expect(await databasesOf(hostB)).not.toContain("shop_tail");
    await shipEverything(hostS, ids.s);
    const second = await waitForRun((await startPitr({ input, actor: admin })).id, 180_000);
    expect(second.state, await runLog(second.id)).toBe("succeeded");
    expect(await runLog(second.id)).toMatch(/on agent agent-b/);
    expect(await fingerprint(hostB, "shop_tail")).toEqual(m.fp);
  }, 240_000);

  it("an in-place physical restore of host B runs on its agent and brings the datadir back to the backup", async () => {
    const backup = await backupOf(ids.b, "mariabackup");
    expect(await runLog(backup.runId!)).toMatch(/on agent agent-b/);
    const atBackup = await tableStates(hostB);
    // life goes on after the backup
    await hostB.sql("INSERT INTO shop.orders VALUES (900001, 1, 9.99, 'after backup'); DROP TABLE crm.notes; CREATE DATABASE after_backup");
    expect(await tableStates(hostB)).not.toEqual(atBackup);
    const run = await startRestore({ input: { backupId: backup.id, targetHostId: ids.b, databases: [], rename: {}, dropExisting: false, parallel: 2, confirm: "db-b", startCommand: startScript }, actor: admin });
    expect(JSON.parse(run.params).physical).toBe(true);
    const done = await waitForRun(run.id, 180_000);
    const log = await runLog(run.id);
    expect(done.state, log).toBe("succeeded");
    expect(log).toMatch(new RegExp(`on agent agent-b .*fence 1: replacing the datadir of db-b from backup ${backup.id}`));
    expect(log).toMatch(/is up on the restored datadir/);
    expect(await tableStates(hostB)).toEqual(atBackup);
    expect(await databasesOf(hostB)).not.toContain("after_backup");
    const result = JSON.parse(done.result!) as { details: { previousDatadir: string }; backupId: string };
    expect(result.backupId).toBe(backup.id);
    expect(fs.existsSync(result.details.previousDatadir)).toBe(true);
  }, 240_000);
});
