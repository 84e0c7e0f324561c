// Runner agents end to end with real parts: a real redis-server of our own, the dashboard's agent
// API and runner in this process over a fresh catalog, and `dbbackup agent` child processes, each
// for its own sandbox MariaDB (host A's datadir on a Btrfs loop volume). Backups go through the
// agents, are restored and compared by CHECKSUM TABLE ... EXTENDED; the fenced lease is tested by
// pausing an agent past its queue lock (SIGSTOP), a crash by kill -9, and Redis by a restart.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent, bindHost, listAgents, revokeAgent } from "../../server/agents/manage-agents";
import { checkAgentsOffline } from "../../server/agents/offline";
import { createChannel } from "../../server/notify/channels";
import { startAgentDispatch, type AgentDispatcher } from "../../server/agents/queue";
import { openChain } from "../../server/restore/physical/open-chain";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { startBackup } from "../../server/backups/start-backup";
import { startVerify } from "../../server/verify/start-verify";
import { db } from "../../server/db/client";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { restorePhysicalToSandboxDetailed } from "../../server/restore/physical/restore-to-sandbox";
import { setRunDispatcher } from "../../server/runner/dispatch";
import { cancelRun } from "../../server/runner/cancel-run";
import { enqueueRun } from "../../server/runner/enqueue-run";
import { Runner } from "../../server/runner/runner";
import { LocalStore } from "../../server/storage/local-store";
import { startAgentApiServer, startAgentProcess, type AgentProcess } from "../helpers/agents";
import { useTempCatalog } from "../helpers/catalog";
import { createBtrfsVolume, seedSample, testContext } from "../helpers/physical";
import { startHttpReceiver } from "../helpers/receivers";
import { startRedis, type TestRedis } from "../helpers/redis";
import { checksums, runLog, waitFor, waitForRun } from "../helpers/runs";

useTempCatalog();
// the server's lease on agent runs; the agents' queue lock is much shorter so a paused agent's job
// moves to another worker well before the server would recover the run itself
process.env.DBBACKUP_RUNNER_LEASE_MS = "9000";
const AGENT_ENV = { DBBACKUP_AGENT_LOCK_MS: "2000", DBBACKUP_AGENT_HEARTBEAT_MS: "1000" };

const admin = { id: "u-admin", email: "admin@example.test" };
let vol: Awaited<ReturnType<typeof createBtrfsVolume>>;
let hostA: Sandbox; // on Btrfs: snapshot engine
let hostB: Sandbox; // mariabackup, and the logical runs the fencing tests hold mid-way
let redis: TestRedis;
let api: Awaited<ReturnType<typeof startAgentApiServer>>;
let runner: Runner;
let dispatcher: AgentDispatcher;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-agents-"));
const backupsDir = path.join(work, "backups");
const agents: AgentProcess[] = [];
const restored: Sandbox[] = [];
let ids: { a: string; b: string; target: string; agentA: string; agentB: string };
let tokens: { a: string; b: string };

function agentProcess(token: string) {
  const p = startAgentProcess({ server: api.url, token, env: AGENT_ENV });
  agents.push(p);
  return p;
}

beforeAll(async () => {
  vol = await createBtrfsVolume(2);
  const sub = await vol.subvolume("mysql");
  [hostA, hostB, redis, api] = await Promise.all([startSandbox({ dir: sub, removeOnStop: false }), startSandbox(), startRedis(), startAgentApiServer()]);
  await Promise.all([seedSample(hostA, 1500), seedSample(hostB, 1500)]);
  await db().user.create({ data: { id: admin.id, email: admin.email, role: "admin", passwordHash: "x" } });
  const mk = async (name: string, sb: Sandbox) => (await db().host.create({ data: { name, host: "127.0.0.1", port: sb.port, user: "root", tlsMode: "disabled" } })).id;
  const target = await db().storageTarget.create({ data: { name: "local", kind: "local", path: backupsDir } });
  const ga = await createAgent({ name: "agent-a", actor: admin });
  const gb = await createAgent({ name: "agent-b", actor: admin });
  ids = { a: await mk("db-a", hostA), b: await mk("db-b", hostB), target: target.id, agentA: ga.id, agentB: gb.id };
  tokens = { a: ga.token, b: gb.token };
  await bindHost({ hostId: ids.a, agentId: ids.agentA, actor: admin });
  await bindHost({ hostId: ids.b, agentId: ids.agentB, actor: admin });
  process.env.DBBACKUP_REDIS_URL = redis.url; // the dashboard's setting: it queues on it and announces it to agents
  dispatcher = startAgentDispatch()!;
  runner = new Runner({ pollMs: 100, retryBaseMs: 200 });
  runner.start();
}, 180_000);

afterAll(async () => {
  await runner?.stop();
  setRunDispatcher(null);
  await dispatcher?.close();
  await Promise.all(agents.map((a) => a.stop()));
  for (const sb of restored) await sb.stop().catch(() => undefined);
  await Promise.all([hostA?.stop(), hostB?.stop()].map((p) => p?.catch(() => undefined)));
  await api?.close();
  await redis?.stop();
  await vol?.destroy();
  fs.rmSync(work, { recursive: true, force: true });
}, 120_000);

const backupInput = (hostId: string, engine: string) => ({ hostId, targetId: ids.target, engine, databases: [], excludeTables: [], compression: "zstd" as const, parallel: 2, includeUsers: false });

/** The backup prefixes present in the target under a host's folder. */
function prefixesOnDisk(host: string): string[] {
  const dir = path.join(backupsDir, host);
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((d) => `${host}/${d}/`).sort() : [];
}
async function recordedPrefixes(hostId: string) {
  return (await db().backup.findMany({ where: { hostId }, orderBy: { location: "asc" } })).map((b) => b.location).sort();
}
/** Host B's folder holds exactly the recorded backups (a dead or refused run's objects on the agent's local target are removed by the agent, with its next heartbeat). */
async function expectNoOrphans() {
  await waitFor(async () => JSON.stringify(prefixesOnDisk("db-b")) === JSON.stringify(await recordedPrefixes(ids.b)), 15_000, "host B's folder to hold only recorded backups").catch(() => undefined);
  expect(prefixesOnDisk("db-b")).toEqual(await recordedPrefixes(ids.b));
}

/** Restores a physical backup into a new sandbox and compares every table with the source. */
async function restoreAndCompare(backupId: string, source: Sandbox) {
  const b = await db().backup.findUniqueOrThrow({ where: { id: backupId } });
  const reader = await BackupSetReader.open(new LocalStore(backupsDir), b.location, null);
  const { sandbox } = await restorePhysicalToSandboxDetailed(testContext(), { reader, dir: path.join(work, `restore-${backupId}`) });
  restored.push(sandbox);
  for (const database of ["shop", "crm"]) expect(await checksums(sandbox.sql.bind(sandbox), database), database).toEqual(await checksums(source.sql.bind(source), database));
  await sandbox.stop();
}

/**
 * Makes a logical dump of host B's database `hold` stop mid-way: a session holds a small table
 * without a key, which the dump reads after the bigger one (InnoDB only, so nothing else waits).
 */
async function holdDumpMidway() {
  await hostB.sql(`CREATE DATABASE IF NOT EXISTS hold; CREATE TABLE IF NOT EXISTS hold.data (id INT PRIMARY KEY, b BLOB) ENGINE=InnoDB;
    INSERT IGNORE INTO hold.data SELECT seq, RANDOM_BYTES(1024) FROM shop.seq_1_to_3000;
    CREATE TABLE IF NOT EXISTS hold.zz_notes (note VARCHAR(20)) ENGINE=InnoDB; DELETE FROM hold.zz_notes; INSERT INTO hold.zz_notes VALUES ('one'), ('two')`);
  const blocker = await hostB.connect();
  blocker.on("error", () => undefined);
  await blocker.query("LOCK TABLES hold.zz_notes WRITE");
  const waiting = async () => {
    const [{ n }] = await hostB.sql<{ n: string }>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT % FROM `hold`.`zz_notes`%' AND STATE LIKE 'Waiting for table metadata lock%'");
    return Number(n);
  };
  return {
    /** resolves once at least n dumps wait at the table */
    reached: async (n = 1, runId?: string) => {
      try {
        await waitFor(async () => (await waiting()) >= n, 15_000, `${n} dump(s) to wait for hold.zz_notes`);
      } catch (e) {
        const pl = await hostB.sql<{ INFO: string | null; STATE: string }>("SELECT INFO, STATE FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep'");
        throw new Error(`${(e as Error).message}; processlist: ${JSON.stringify(pl)}; run log: ${runId ? await runLog(runId) : "-"}; agents: ${agents.map((a) => a.output()).join("\n---\n")}`);
      }
    },
    release: () => blocker.end().catch(() => undefined),
  };
}

// one connection: its snapshot needs no backup lock, which the hold's LOCK TABLES ... WRITE would block
const startLogicalB = async () => (await startBackup({ input: { ...backupInput(ids.b, "logical"), databases: ["hold"], parallel: 1 }, actor: admin })).id;

describe("runner agents over BullMQ", () => {
  let agentA: AgentProcess;
  let agentB: AgentProcess;

  it("two agents register with their facts and show online", async () => {
    agentA = agentProcess(tokens.a);
    agentB = agentProcess(tokens.b);
    await Promise.all([agentA.waitFor(/registered as agent agent-a/), agentB.waitFor(/registered as agent agent-b/)]);
    const list = await listAgents();
    const a = list.find((x) => x.name === "agent-a")!;
    expect(a.status).toBe("online");
    expect(a.hostname).toBe(os.hostname());
    expect(a.hosts.map((h) => h.name)).toEqual(["db-a"]);
    expect(a.facts.tools?.btrfs).toMatch(/btrfs$/);
    expect(a.facts.tools?.["mariadb-backup"]).toMatch(/mariadb-backup$/);
    // the agent finds the running servers' datadirs and their filesystem: host A's is on Btrfs
    expect(a.facts.datadirs).toContainEqual({ path: hostA.datadir, filesystem: "btrfs" });
    expect((await db().auditEvent.findMany({ where: { action: "agent.register" } })).length).toBe(2);
  }, 60_000);

  it("a snapshot backup of host A (Btrfs) runs on agent A and restores equal to the source", async () => {
    const run = await startBackup({ input: backupInput(ids.a, "snapshot"), actor: admin });
    const done = await waitForRun(run.id, 120_000);
    const log = await runLog(run.id);
    expect(done.state, log).toBe("succeeded");
    expect(log).toMatch(/Queued for agent agent-a/);
    expect(log).toMatch(/on agent agent-a .* fence 1/);
    const b = await db().backup.findFirstOrThrow({ where: { runId: run.id } });
    expect(b.engine).toBe("snapshot");
    expect(JSON.parse(done.progress).phase).toBe("done");
    expect(await vol.subvolumes()).toEqual(["mysql"]); // the snapshot was removed
    await restoreAndCompare(b.id, hostA);
  }, 150_000);

  it("a mariabackup backup of host B runs on agent B and restores equal to the source", async () => {
    const run = await startBackup({ input: backupInput(ids.b, "mariabackup"), actor: admin });
    const done = await waitForRun(run.id, 120_000);
    const log = await runLog(run.id);
    expect(done.state, log).toBe("succeeded");
    expect(log).toMatch(/on agent agent-b/);
    const b = await db().backup.findFirstOrThrow({ where: { runId: run.id } });
    expect(b.engine).toBe("mariabackup");
    await restoreAndCompare(b.id, hostB);
  }, 150_000);

  it("an incremental of host B runs on agent B against the catalog's newest base and restores, chain prepared, equal to the source", async () => {
    const full = await db().backup.findFirstOrThrow({ where: { hostId: ids.b, engine: "mariabackup", state: "complete" }, orderBy: { finishedAt: "desc" } });
    await hostB.sql("CREATE TABLE IF NOT EXISTS shop.after_full (id INT PRIMARY KEY, note VARCHAR(40)) ENGINE=InnoDB; INSERT INTO shop.after_full SELECT seq, CONCAT('row ', seq) FROM shop.seq_1_to_500");
    const run = await startBackup({ input: { ...backupInput(ids.b, "auto"), backupKind: "incremental" }, actor: admin });
    const done = await waitForRun(run.id, 120_000);
    const log = await runLog(run.id);
    expect(done.state, log).toBe("succeeded");
    expect(log).toMatch(/on agent agent-b/);
    expect(log).toMatch(new RegExp(`Incremental backup against full backup ${full.id}`));
    const b = await db().backup.findFirstOrThrow({ where: { runId: run.id } });
    expect(b).toMatchObject({ engine: "mariabackup", backupKind: "incremental", parentBackupId: full.id, chainRootId: full.id, fromLsn: full.toLsn });
    const reader = await BackupSetReader.open(new LocalStore(backupsDir), b.location, null);
    await openChain(reader, (parent) => BackupSetReader.open(new LocalStore(backupsDir), parent.location, null));
    const { sandbox } = await restorePhysicalToSandboxDetailed(testContext(), { reader, dir: path.join(work, `restore-${b.id}`) });
    restored.push(sandbox);
    for (const database of ["shop", "crm"]) expect(await checksums(sandbox.sql.bind(sandbox), database), database).toEqual(await checksums(hostB.sql.bind(hostB), database));
    await sandbox.stop();
  }, 150_000);

  it("a restore verification of host B's mariabackup backup runs on agent B and passes with the embedded run's checks", async () => {
    const full = await db().backup.findFirstOrThrow({ where: { hostId: ids.b, engine: "mariabackup", backupKind: "full", state: "complete" }, orderBy: { finishedAt: "desc" } });
    const run = await startVerify({ backupId: full.id, actor: admin });
    const done = await waitForRun(run.id, 120_000);
    const log = await runLog(run.id);
    expect(done.state, log).toBe("succeeded");
    expect(log).toMatch(/Queued for agent agent-b/);
    expect(log).toMatch(new RegExp(`on agent agent-b .*fence 1: verifying backup ${full.id}`));
    expect(log).toMatch(/Verified on the agent/);
    expect(agentB.output()).toMatch(new RegExp(`run ${run.id}: claimed .*verify of backup ${full.id}`));
    const v = await db().verification.findFirstOrThrow({ where: { runId: run.id } });
    expect(v).toMatchObject({ backupId: full.id, kind: "restore", result: "passed" });
    const checks = JSON.parse(v.checks) as { name: string; ok: boolean; skipped?: boolean }[];
    // what verifyBackupSet checks for a physical set, embedded or here
    expect(checks.map((c) => c.name)).toEqual(["manifest", "objects", "restore and start", "schema objects", "row counts", "fingerprints"]);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks.find((c) => c.name === "schema objects")!.skipped).toBeFalsy();
    expect((await db().backup.findUniqueOrThrow({ where: { id: full.id } })).verifyState).toBe("verified");
    expect(await db().auditEvent.count({ where: { action: "verify.passed", targetId: full.id } })).toBe(1);
  }, 150_000);

  it("a policy's scheduled verification of its newest backup runs on agent B (and before its first backup there is nothing to run)", async () => {
    await db().policy.create({ data: { id: "p-agent-b", name: "p-agent-b", hostId: ids.b, targetId: ids.target, engine: "logical", retention: JSON.stringify({ keepLast: 5 }), enabled: false } });
    const empty = await enqueueRun({ kind: "verify", hostId: ids.b, policyId: "p-agent-b", params: { policyId: "p-agent-b", mode: "latest" } });
    const skipped = await waitForRun(empty.id, 60_000);
    expect(skipped.state, await runLog(empty.id)).toBe("succeeded");
    expect(JSON.parse(skipped.result!)).toEqual({ skipped: "no backup yet" });
    expect(await runLog(empty.id)).toMatch(/no backup to verify yet/);

    const run = await startBackup({ input: { ...backupInput(ids.b, "logical"), databases: ["crm"], parallel: 1 }, actor: admin });
    expect((await waitForRun(run.id, 90_000)).state, await runLog(run.id)).toBe("succeeded");
    const newest = await db().backup.findFirstOrThrow({ where: { runId: run.id } });
    await db().backup.update({ where: { id: newest.id }, data: { policyId: "p-agent-b" } });
    const verify = await enqueueRun({ kind: "verify", hostId: ids.b, policyId: "p-agent-b", params: { policyId: "p-agent-b", mode: "latest" } });
    const done = await waitForRun(verify.id, 120_000);
    const log = await runLog(verify.id);
    expect(done.state, log).toBe("succeeded");
    expect(log).toMatch(new RegExp(`on agent agent-b .*verifying backup ${newest.id}`));
    expect(done.backupId).toBe(newest.id);
    const v = await db().verification.findFirstOrThrow({ where: { runId: verify.id } });
    expect(v).toMatchObject({ backupId: newest.id, kind: "restore", result: "passed" });
    // host B has no binlog archive here: no drill follows
    expect(await db().run.count({ where: { kind: "verify", hostId: ids.b, params: { contains: `"after":"${verify.id}"` } } })).toBe(0);
  }, 240_000);

  it("a backup whose object was corrupted on disk fails verification on agent B, the check naming the object", async () => {
    const run = await startBackup({ input: { ...backupInput(ids.b, "logical"), databases: ["crm"], parallel: 1 }, actor: admin });
    expect((await waitForRun(run.id, 90_000)).state, await runLog(run.id)).toBe("succeeded");
    const b = await db().backup.findFirstOrThrow({ where: { runId: run.id } });
    const obj = (JSON.parse(fs.readFileSync(path.join(backupsDir, b.location, "manifest.json"), "utf8")) as { objects: { path: string; size: number }[] }).objects.find((o) => o.size > 64)!;
    const file = path.join(backupsDir, b.location, obj.path);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    const verify = await startVerify({ backupId: b.id, objectsOnly: true, actor: admin });
    const done = await waitForRun(verify.id, 60_000);
    const log = await runLog(verify.id);
    expect(done.state, log).toBe("failed");
    expect(log).toMatch(/on agent agent-b .*verifying backup/);
    expect(done.error).toMatch(new RegExp(`Verification of backup ${b.id} failed: objects: 1 of \\d+ objects fail: ${obj.path.replace(/[.]/g, "\\.")}`));
    const v = await db().verification.findFirstOrThrow({ where: { runId: verify.id } });
    expect(v.result).toBe("failed");
    const checks = JSON.parse(v.checks) as { name: string; ok: boolean; detail: string }[];
    expect(checks.find((c) => c.name === "objects")).toMatchObject({ ok: false, detail: expect.stringContaining(obj.path) });
    expect((await db().backup.findUniqueOrThrow({ where: { id: b.id } })).verifyState).toBe("failed");
  }, 120_000);

  it("agent A's token cannot take, report or finish host B's run; unknown and revoked tokens are refused", async () => {
    const hold = await holdDumpMidway();
    const runId = await startLogicalB();
    try {
      await hold.reached(1, runId);
      const post = (token: string, p: string, body: unknown) => fetch(`${api.url}/api/agent/${p}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      const claim = await post(tokens.a, `runs/${runId}/claim`, { attempt: 1, publicKey: "MCowBQYDK2VuAyEAm7WQ5Yy0mXcPq0zVbqvV8b3jqB2fX9y0J0m2x6Uo1Ak=" });
      expect(claim.status).toBe(403);
      expect((await claim.json()).message).toMatch(/host db-b, which is not bound to agent agent-a/);
      expect((await post(tokens.a, `runs/${runId}/progress`, { fence: 1, logs: [{ level: "error", message: "forged" }] })).status).toBe(403);
      expect((await post(tokens.a, `runs/${runId}/finish`, { fence: 1, outcome: "failed", error: "forged" })).status).toBe(403);
      expect((await post("dbba_not-a-token", "heartbeat", {})).status).toBe(401);
      expect((await fetch(`${api.url}/api/agent/heartbeat`, { method: "POST", body: "{}" })).status).toBe(401);
      expect(await runLog(runId)).not.toMatch(/forged/);
    } finally {
      await hold.release();
    }
    expect((await waitForRun(runId)).state).toBe("succeeded");
    // a revoked agent is refused at once, and its host goes back to the embedded runner
    const spare = await createAgent({ name: "agent-spare", actor: admin });
    await revokeAgent({ id: spare.id, actor: admin });
    const r = await fetch(`${api.url}/api/agent/heartbeat`, { method: "POST", headers: { authorization: `Bearer ${spare.token}` }, body: "{}" });
    expect(r.status).toBe(403);
    expect((await r.json()).message).toMatch(/revoked/);
  }, 120_000);

  it("Cancel on the dashboard reaches the agent: the run ends cancelled and its objects are removed", async () => {
    const hold = await holdDumpMidway();
    const runId = await startLogicalB();
    try {
      await hold.reached(1, runId);
      await cancelRun({ runId, actor: admin });
      const done = await waitForRun(runId, 60_000);
      expect(done.state, await runLog(runId)).toBe("cancelled");
      expect(await runLog(runId)).toMatch(/Cancelled; partial objects removed/);
    } finally {
      await hold.release();
    }
    expect(await db().backup.count({ where: { runId } })).toBe(0);
    await expectNoOrphans();
  }, 90_000);

  it("fenced lease: an agent paused past its queue lock is replaced; on resume its writes are refused, one backup is recorded and no orphan objects remain", async () => {
    const hold = await holdDumpMidway();
    const before = await db().backup.count({ where: { hostId: ids.b } });
    const runId = await startLogicalB();
    await hold.reached(1, runId);
    const first = (await db().run.findUniqueOrThrow({ where: { id: runId } })).fence;
    expect(first).toBeGreaterThan(0);
    agentB.proc.kill("SIGSTOP");
    // a second process with host B's agent token: the queue hands it the stalled job once the lock lapses
    const second = agentProcess(tokens.b);
    await waitFor(async () => new RegExp(`on agent agent-b .*fence ${first + 1}`).test(await runLog(runId)), 60_000, "the second agent process to claim the run");
    expect(await runLog(runId)).toMatch(new RegExp(`Taken over with fence ${first + 1}: the objects written under fence ${first}`));
    await hold.release();
    const done = await waitForRun(runId);
    expect(done.state, await runLog(runId)).toBe("succeeded");
    // the paused process resumes: its next progress report carries the old fence, is refused, and it removes its objects
    agentB.proc.kill("SIGCONT");
    await agentB.waitFor(new RegExp(`run ${runId}: fence ${first} refused`), 30_000);
    expect(await db().backup.count({ where: { runId } })).toBe(1);
    expect(await db().backup.count({ where: { hostId: ids.b } })).toBe(before + 1);
    await expectNoOrphans();
    const b = await db().backup.findFirstOrThrow({ where: { runId } });
    expect(JSON.parse(done.result!).backupId).toBe(b.id);
    await second.stop();
  }, 150_000);

  it("kill -9 of the agent mid-backup: the lease ends, partial objects are removed, the run is retried and recorded once", async () => {
    const hold = await holdDumpMidway();
    const runId = await startLogicalB();
    await hold.reached(1, runId);
    const ws = JSON.parse((await db().run.findUniqueOrThrow({ where: { id: runId } })).result!).workspace as { prefix: string };
    await waitFor(async () => prefixesOnDisk("db-b").includes(ws.prefix), 30_000, "the first attempt's objects");
    agentB.proc.kill("SIGKILL");
    await hold.release();
    // the server notices when the lease ends, removes attempt 1's objects and queues attempt 2
    await waitFor(async () => (await db().run.findUniqueOrThrow({ where: { id: runId } })).attempt === 2, 60_000, "the retry");
    expect(await runLog(runId)).toMatch(/stopped without finishing \(lease expired\); partial work was removed/);
    // the target is a local path the agent wrote: the cleanup is queued for agent B, which does it once restarted
    expect(await db().cleanupTask.findFirst({ where: { prefix: ws.prefix } })).toMatchObject({ agentId: ids.agentB });
    agentB = agentProcess(tokens.b);
    await waitFor(async () => !prefixesOnDisk("db-b").includes(ws.prefix), 30_000, "agent B to remove attempt 1's objects");
    const done = await waitForRun(runId);
    expect(done.state, await runLog(runId)).toBe("succeeded");
    expect(done.attempt).toBe(2);
    expect(await db().backup.count({ where: { runId } })).toBe(1);
    await expectNoOrphans();
  }, 150_000);

  it("Redis restarted mid-run: the running backup completes, and the next one is queued on the new Redis", async () => {
    const hold = await holdDumpMidway();
    const runId = await startLogicalB();
    await hold.reached(1, runId);
    await redis.restart();
    await hold.release();
    expect((await waitForRun(runId)).state, await runLog(runId)).toBe("succeeded");
    const next = await startLogicalB();
    const done = await waitForRun(next, 90_000);
    expect(done.state, await runLog(next)).toBe("succeeded");
    expect(await runLog(next)).toMatch(/on agent agent-b/);
    await expectNoOrphans();
  }, 150_000);

  it("an agent that goes silent is shown offline and notified once", async () => {
    const hook = await startHttpReceiver();
    try {
      await createChannel({ input: { name: "agents-hook", config: { kind: "webhook", url: hook.url }, events: ["agent-offline"], enabled: true }, actor: admin });
      await agentA.stop();
      process.env.DBBACKUP_AGENT_OFFLINE_MS = "5000"; // 60 s in production
      await waitFor(async () => (await listAgents()).find((a) => a.name === "agent-a")!.status === "offline", 20_000, "agent-a to show offline");
      expect((await listAgents()).find((a) => a.name === "agent-b")!.status).toBe("online");
      await checkAgentsOffline();
      await checkAgentsOffline(); // one notification per silence
      // (agent B may be reported too if this loaded machine delayed its heartbeat past 5 s: only agent A's count is asserted)
      const sent = hook.requests.map((r) => JSON.parse(r.body) as { event: string; title: string; text: string }).filter((n) => n.title.includes("agent-a"));
      expect(sent.map((n) => `${n.event}: ${n.title}`)).toEqual(["agent-offline: Agent agent-a is offline"]);
      expect(sent[0]!.title).toBe("Agent agent-a is offline");
      expect(sent[0]!.text).toMatch(/db-a/);
    } finally {
      delete process.env.DBBACKUP_AGENT_OFFLINE_MS;
      await hook.close();
    }
  }, 60_000);
});
