// Binlog archiving and cleanups on a runner agent, with real parts: our own redis-server, the
// dashboard's agent API and runner in this process over a fresh catalog, a sandbox MariaDB with
// small binlog files, and `dbbackup agent` child processes. Every agent runs in a mount namespace
// of its own (unshare -m, we run as root) where the local target's path is a bind mount of another
// directory: the agent's view of the target differs from the dashboard's, as for a target that is
// a local path on the agent's machine. The tests read the agent's side through the bind source.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archivePrefix } from "../../server/archive-runs/archive-run";
import { startArchiving, stopArchiving } from "../../server/archive-runs/manage-archiving";
import { createAgent, bindHost, listAgents } from "../../server/agents/manage-agents";
import { startAgentDispatch, type AgentDispatcher } from "../../server/agents/queue";
import { listArchivedSegments } from "../../server/binlog/archive-reader";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { getTimeline } from "../../server/pitr/timeline";
import { setRunDispatcher } from "../../server/runner/dispatch";
import { Runner } from "../../server/runner/runner";
import { LocalStore } from "../../server/storage/local-store";
import { startAgentApiServer, startAgentProcess, type AgentProcess } from "../helpers/agents";
import { compareArchiveWithServer, runWorkload, serverPosition, setupWorkloadSchema, sha256File, waitBinlogCheckpoint } from "../helpers/binlog";
import { useTempCatalog } from "../helpers/catalog";
import { startRedis, type TestRedis } from "../helpers/redis";
import { runLog, waitFor, waitForRun } from "../helpers/runs";

const catalogDir = useTempCatalog();
process.env.DBBACKUP_RUNNER_LEASE_MS = "9000";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-agents-archive-"));
/** the target's path as the dashboard sees it */
const targetPath = path.join(work, "target");
/** what the agent sees at targetPath (bind-mounted there in its namespace) */
const agentDisk = path.join(work, "agent-disk");
const agentData = path.join(work, "agent-data");
const AGENT_ENV = { DBBACKUP_AGENT_LOCK_MS: "2000", DBBACKUP_AGENT_HEARTBEAT_MS: "1000", DBBACKUP_AGENT_DATA_DIR: agentData };
const admin = { id: "u-admin", email: "admin@example.test" };
const HOST = "db-arch";

let sb: Sandbox;
let redis: TestRedis;
let api: Awaited<ReturnType<typeof startAgentApiServer>>;
let runner: Runner;
let dispatcher: AgentDispatcher;
let token: string;
let ids: { host: string; target: string; agent: string };
const procs: AgentProcess[] = [];
const agentStore = new LocalStore(agentDisk);

/** `dbbackup agent` in a mount namespace of its own, where targetPath shows agentDisk. */
function startAgent() {
  const p = startAgentProcess({
    server: api.url,
    token,
    env: AGENT_ENV,
    wrap: ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", 'mount --bind "$1" "$2" && shift 2 && exec "$@"', "sh", agentDisk, targetPath],
  });
  procs.push(p);
  return p;
}

beforeAll(async () => {
  for (const d of [targetPath, agentDisk, agentData]) fs.mkdirSync(d, { recursive: true });
  [sb, redis, api] = await Promise.all([startSandbox({ args: ["--max-binlog-size=262144"] }), startRedis(), startAgentApiServer()]);
  await setupWorkloadSchema(sb);
  await db().user.create({ data: { id: admin.id, email: admin.email, role: "admin", passwordHash: "x" } });
  const host = await db().host.create({ data: { name: HOST, host: "127.0.0.1", port: sb.port, user: "root", tlsMode: "disabled", archiveCompress: true } });
  const target = await db().storageTarget.create({ data: { name: "agent-local", kind: "local", path: targetPath } });
  const agent = await createAgent({ name: "agent-arch", actor: admin });
  token = agent.token;
  ids = { host: host.id, target: target.id, agent: agent.id };
  await bindHost({ hostId: host.id, agentId: agent.id, actor: admin });
  process.env.DBBACKUP_REDIS_URL = redis.url;
  dispatcher = startAgentDispatch()!;
  runner = new Runner({ pollMs: 100, retryBaseMs: 200 });
  runner.start();
}, 120_000);

afterAll(async () => {
  await runner?.stop();
  setRunDispatcher(null);
  await dispatcher?.close();
  await Promise.all(procs.map((p) => p.stop()));
  await sb?.stop().catch(() => undefined);
  await api?.close();
  await redis?.stop();
  fs.rmSync(work, { recursive: true, force: true });
}, 120_000);

/** waitFor that says, when it times out, what the run's log and the agents' output were. */
async function waitExplained<T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string, runId: string): Promise<T> {
  try {
    return await waitFor(fn, ms, what);
  } catch (e) {
    const r = await db().run.findUnique({ where: { id: runId } });
    throw new Error(`${(e as Error).message}\nrun: ${JSON.stringify({ state: r?.state, attempt: r?.attempt, fence: r?.fence, leaseOwner: r?.leaseOwner, error: r?.error })}\nlog:\n${await runLog(runId)}\nagents:\n${procs.map((p) => p.output().slice(-4000)).join("\n---\n")}`);
  }
}

const activeArchiveRun = () => db().run.findFirst({ where: { hostId: ids.host, kind: "binlog", state: { in: ["queued", "running"] } }, orderBy: { queuedAt: "desc" } });

/** Waits until the agent reported the server's current position as its checkpoint, and it stays there. */
async function waitCaughtUp(ms = 60_000) {
  await waitBinlogCheckpoint(sb);
  let since = 0;
  await waitFor(
    async () => {
      const st = await db().archiverState.findUnique({ where: { hostId: ids.host } });
      const p = await serverPosition(sb);
      const same = st?.status === "running" && st.file === p.file && Number(st.position) === p.position;
      if (!same) since = 0;
      else if (!since) since = Date.now();
      return same && Date.now() - since > 1500;
    },
    ms,
    "the agent's archiver to report the server's position",
  );
}

/** Stops archiving and waits for the run to end. */
async function stop() {
  const run = (await activeArchiveRun())!;
  await stopArchiving({ hostId: ids.host, actor: admin });
  return waitForRun(run.id, 60_000);
}

/**
 * The catalog's segments against the server and the agent's side of the target: every server file
 * is byte-identical when reassembled from the archive; per file the rows are contiguous from 4 (no
 * gap, no overlap); each row names an object whose bytes have the row's sha256; rows and objects match 1:1.
 */
async function expectArchiveMatchesServer(opts: { includeCurrent: boolean }) {
  const prefix = archivePrefix(HOST);
  const current = (await serverPosition(sb)).file;
  const closed = (await sb.sql<{ Log_name: string }>("SHOW BINARY LOGS")).map((r) => r.Log_name).filter((f) => f !== current);
  // the agent ships a closed file shortly after its checkpoint passed it
  await waitFor(async () => (await db().binlogSegment.count({ where: { hostId: ids.host, fileComplete: true, fileName: { in: closed } } })) === closed.length, 30_000, "every closed file to be shipped");
  const cmp = await compareArchiveWithServer(sb, agentStore, prefix);
  const compared = cmp.filter((c) => opts.includeCurrent || c.file !== current);
  expect(compared.length).toBeGreaterThan(1);
  for (const c of compared) expect({ file: c.file, archive: c.archive }).toEqual({ file: c.file, archive: c.server });
  const rows = await db().binlogSegment.findMany({ where: { hostId: ids.host }, orderBy: [{ fileName: "asc" }, { startPos: "asc" }] });
  const byFile = new Map<string, typeof rows>();
  for (const r of rows) byFile.set(r.fileName, [...(byFile.get(r.fileName) ?? []), r]);
  for (const [file, segs] of byFile) {
    expect(Number(segs[0]!.startPos), file).toBe(4);
    for (let i = 1; i < segs.length; i++) expect(Number(segs[i]!.startPos), `${file} segment ${i}`).toBe(Number(segs[i - 1]!.endPos));
  }
  const objects = await listArchivedSegments(agentStore, prefix);
  expect(objects.map((o) => `${o.file}@${o.startPosition}`).sort()).toEqual(rows.map((r) => `${r.fileName}@${r.startPos}`).sort());
  for (const r of rows) {
    const o = objects.find((x) => x.file === r.fileName && x.startPosition === Number(r.startPos))!;
    expect({ key: r.location, sha256: r.sha256, stored: r.storedSha256 }).toEqual({ key: o.key, sha256: o.sha256, stored: o.storedSha256 });
    expect(await sha256File(path.join(agentDisk, r.location))).toBe(r.storedSha256);
  }
  return { rows, cmp };
}

describe("binlog archiving and cleanups on a runner agent", () => {
  let agent: AgentProcess;

  it("an archive of an agent-bound host runs on the agent: segments shipped to the agent's disk, catalog rows equal the server's binlogs, incidents indexed, state and lag reported", async () => {
    agent = startAgent();
    await agent.waitFor(/registered as agent agent-arch/);
    await startArchiving({ hostId: ids.host, targetId: ids.target, actor: admin });
    const run = await waitFor(activeArchiveRun, 10_000, "the archive run");
    await waitFor(async () => /fence \d+: archiving binlogs of db-arch/.test(await runLog(run.id)), 30_000, "the agent to claim the archive run");
    const commits = await runWorkload(sb, { connections: 3, rounds: 120, ddlEvery: 40, flushEvery: 30 });
    expect(commits).toBeGreaterThan(200);
    await waitCaughtUp();
    const log = await runLog(run.id);
    expect(log).toMatch(/Queued for agent agent-arch/);
    expect(log).toMatch(new RegExp(`Working directory on the agent: ${agentData.replace(/[.]/g, "\\.")}/archive/${ids.host}`));
    // the checkpoint is on the agent's data dir, not the dashboard's
    expect(fs.existsSync(path.join(agentData, "archive", ids.host, "archiver-state.json"))).toBe(true);
    expect(fs.existsSync(path.join(catalogDir, "archive", ids.host))).toBe(false);
    // the dashboard's view of the target's path holds nothing: the objects are on the agent's side
    expect(fs.readdirSync(targetPath)).toEqual([]);
    const { rows } = await expectArchiveMatchesServer({ includeCurrent: false });
    expect(rows.every((r) => r.targetId === ids.target && r.compressed)).toBe(true);
    // indexed for incidents on the agent: the workload's DROP TABLEs are in the catalog
    const scans = await db().binlogIncidentScan.count({ where: { segmentId: { in: rows.map((r) => r.id) } } });
    expect(scans).toBe(rows.length);
    const drops = await db().binlogIncident.findMany({ where: { hostId: ids.host, kind: "drop_table" } });
    expect(drops.length).toBeGreaterThanOrEqual(3);
    expect(drops.every((d) => /^\|wl\.tmp_\d+\|$/.test(d.tables))).toBe(true);
    const st = (await db().archiverState.findUnique({ where: { hostId: ids.host } }))!;
    expect(st).toMatchObject({ status: "running", runId: run.id });
    expect(st.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(st.lagSeconds).toBeLessThan(5);
    const r = await db().run.findUniqueOrThrow({ where: { id: run.id } });
    expect(r.leaseOwner).toBe(`agent:${ids.agent}`);
    expect(JSON.parse(r.progress).phase).toBe("streaming");
  }, 240_000);

  it("Stop archiving reaches the agent: it closes and ships its open segment, then the run ends stopped", async () => {
    await sb.sql("INSERT INTO wl.accounts (owner, balance) VALUES ('before stop', 1)");
    await waitCaughtUp();
    const done = await stop();
    expect(done.state, await runLog(done.id)).toBe("cancelled");
    expect(done.error).toBe("Stopped by request.");
    expect(await runLog(done.id)).toMatch(/Stopped by request after finishing cleanly on agent agent-arch at binlog\.\d+:\d+/);
    // the open file was shipped as a partial segment: the archive now equals the server's current file too
    const { rows } = await expectArchiveMatchesServer({ includeCurrent: true });
    const current = (await serverPosition(sb)).file;
    const last = rows.filter((x) => x.fileName === current).pop()!;
    expect(last).toMatchObject({ endedBy: "shutdown", fileComplete: false });
    expect(Number(last.endPos)).toBe((await serverPosition(sb)).position);
    const [{ g }] = await sb.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
    expect(last.gtidStateEnd).toBe(g);
    const st = (await db().archiverState.findUnique({ where: { hostId: ids.host } }))!;
    expect(st.status).toBe("stopped");
    expect(Number(st.position)).toBe(Number(last.endPos));
    const tl = await getTimeline(ids.host);
    expect(tl.ranges.length).toBe(1);
    expect(agent.output()).toMatch(/: stopped\n/);
  }, 120_000);

  it("kill -9 of the agent mid-archive: the lease ends, the run is retried, and the restarted agent resumes from its local checkpoint without a gap or a duplicate segment", async () => {
    await startArchiving({ hostId: ids.host, targetId: ids.target, actor: admin });
    const run = await waitFor(activeArchiveRun, 10_000, "the archive run");
    await waitFor(async () => /fence \d+: archiving binlogs of db-arch/.test(await runLog(run.id)), 30_000, "the agent to claim the archive run");
    const before = await db().binlogSegment.count({ where: { hostId: ids.host } });
    const ac = new AbortController();
    const load = runWorkload(sb, { connections: 3, stop: ac.signal, flushEvery: 25, pauseMs: 5 });
    load.catch(() => undefined);
    try {
      // mid-stream: the agent reported it streams, some segments of this run shipped, and an open one is being written
      await waitExplained(async () => /Streaming binlogs from/.test(await runLog(run.id)), 30_000, "attempt 1 to stream", run.id);
      await waitFor(async () => (await db().binlogSegment.count({ where: { hostId: ids.host } })) >= before + 3, 60_000, "segments of the new run");
      agent.proc.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 1500));
      const restarted = startAgent();
      await restarted.waitFor(/registered as agent agent-arch/);
      agent = restarted;
      // the server notices when the lease ends and queues attempt 2, which the restarted agent claims
      await waitExplained(async () => (await db().run.findUniqueOrThrow({ where: { id: run.id } })).attempt >= 2, 60_000, "the retry", run.id);
      // attempt 2 resumes what attempt 1 left in the agent's working directory
      await waitExplained(async () => /Started \(attempt 2 [^]*Resuming the binlog archive in .* from its checkpoint/.test(await runLog(run.id)), 60_000, "the restarted agent to resume", run.id);
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      ac.abort();
    }
    expect(await load).toBeGreaterThan(50);
    await waitCaughtUp();
    const log = await runLog(run.id);
    expect(log).toMatch(/stopped without finishing \(lease expired\)/);
    expect(log).not.toMatch(/Starting a new binlog archive/);
    // a report with attempt 1's fence (a zombie of the killed holder) is refused and changes nothing
    const rowsBefore = await db().binlogSegment.count({ where: { hostId: ids.host } });
    const meta = (await listArchivedSegments(agentStore, archivePrefix(HOST)))[0]!;
    const zombie = await fetch(`${api.url}/api/agent/runs/${run.id}/segment`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ fence: 1, meta: { ...meta, startPosition: 999_999, endPosition: 1_000_000 } }) });
    expect(zombie.status).toBe(409);
    const zombieState = await fetch(`${api.url}/api/agent/runs/${run.id}/archiver-state`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ fence: 1, state: { status: "error", message: "zombie" } }) });
    expect(zombieState.status).toBe(409);
    expect(await db().binlogSegment.count({ where: { hostId: ids.host } })).toBe(rowsBefore);
    expect((await db().archiverState.findUniqueOrThrow({ where: { hostId: ids.host } })).message).not.toBe("zombie");
    const done = await stop();
    expect(done.state, await runLog(run.id)).toBe("cancelled");

    // every server file, byte for byte, contiguous segments, one row per object
    await expectArchiveMatchesServer({ includeCurrent: true });
    const tl = await getTimeline(ids.host);
    expect(tl.ranges.length).toBe(1);
  }, 300_000);

  it("kill -9 mid-backup to an agent-local path: the cleanup is queued for the agent, done on its side after it restarts, and nothing is removed on the dashboard's side", async () => {
    // a logical dump that stops mid-way: a session holds a small table the dump reads last
    await sb.sql(`CREATE DATABASE IF NOT EXISTS hold; CREATE TABLE IF NOT EXISTS hold.data (id INT PRIMARY KEY, b BLOB) ENGINE=InnoDB;
      INSERT IGNORE INTO hold.data SELECT seq, RANDOM_BYTES(1024) FROM hold.seq_1_to_3000;
      CREATE TABLE IF NOT EXISTS hold.zz_notes (note VARCHAR(20)) ENGINE=InnoDB; INSERT INTO hold.zz_notes VALUES ('one')`);
    const blocker = await sb.connect();
    blocker.on("error", () => undefined);
    await blocker.query("LOCK TABLES hold.zz_notes WRITE");
    const run = await startBackup({ input: { hostId: ids.host, targetId: ids.target, engine: "logical", databases: ["hold"], excludeTables: [], compression: "zstd", parallel: 1, includeUsers: false }, actor: admin });
    let released = false;
    try {
      await waitFor(async () => {
        const [{ n }] = await sb.sql<{ n: string }>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT % FROM `hold`.`zz_notes`%' AND STATE LIKE 'Waiting for table metadata lock%'");
        return Number(n) >= 1;
      }, 30_000, "the dump to wait at hold.zz_notes");
      const ws = JSON.parse((await db().run.findUniqueOrThrow({ where: { id: run.id } })).result!).workspace as { prefix: string; agentId: string };
      expect(ws.agentId).toBe(ids.agent);
      // the partial objects are on the agent's side only
      await waitFor(async () => fs.existsSync(path.join(agentDisk, ws.prefix)), 30_000, "the first attempt's objects on the agent's side");
      expect(fs.existsSync(path.join(targetPath, ws.prefix))).toBe(false);
      agent.proc.kill("SIGKILL");
      // the dashboard's side of the same path: a directory of its own under the very same prefix, which must survive
      fs.mkdirSync(path.join(targetPath, ws.prefix), { recursive: true });
      fs.writeFileSync(path.join(targetPath, ws.prefix, "dashboard-side.txt"), "not the agent's");
      await waitExplained(async () => (await db().run.findUniqueOrThrow({ where: { id: run.id } })).attempt === 2, 60_000, "the retry", run.id);
      const task = await db().cleanupTask.findFirstOrThrow({ where: { prefix: ws.prefix } });
      expect(task).toMatchObject({ targetId: ids.target, agentId: ids.agent });
      expect(await runLog(run.id)).toMatch(/on agent agent-arch's local path .*: queued for that agent to remove/);
      // nothing removed anywhere yet: the agent is down, and the dashboard does not touch its own view
      expect(fs.readdirSync(path.join(agentDisk, ws.prefix)).length).toBeGreaterThan(0);
      expect(fs.existsSync(path.join(targetPath, ws.prefix, "dashboard-side.txt"))).toBe(true);
      expect((await listAgents()).find((x) => x.name === "agent-arch")!.pendingCleanups).toBe(1);
      await blocker.end().catch(() => undefined);
      released = true;
      agent = startAgent();
      await agent.waitFor(new RegExp(`cleanup ${task.id}: removed ${ws.prefix}`), 30_000);
      await waitFor(async () => (await db().cleanupTask.count({ where: { id: task.id } })) === 0, 10_000, "the acknowledgement");
      expect(fs.existsSync(path.join(agentDisk, ws.prefix))).toBe(false);
      expect((await listAgents()).find((x) => x.name === "agent-arch")!.pendingCleanups).toBe(0);
      expect(fs.readFileSync(path.join(targetPath, ws.prefix, "dashboard-side.txt"), "utf8")).toBe("not the agent's");
      const done = await waitForRun(run.id, 120_000);
      expect(done.state, await runLog(run.id)).toBe("succeeded");
      expect(done.attempt).toBe(2);
      const b = await db().backup.findFirstOrThrow({ where: { runId: run.id } });
      expect(fs.existsSync(path.join(agentDisk, b.location, "manifest.json"))).toBe(true);
      // on the agent's side only the recorded backup and the archive remain
      expect(fs.readdirSync(path.join(agentDisk, HOST)).sort()).toEqual(["binlog", b.location.split("/")[1]!].sort());
    } finally {
      if (!released) await blocker.end().catch(() => undefined);
    }
  }, 240_000);
});
