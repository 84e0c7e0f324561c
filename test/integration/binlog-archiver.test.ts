import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { runArchiver } from "../../server/binlog/archiver";
import type { ArchiverStatus } from "../../server/binlog/archiver-types";
import { listArchivedSegments } from "../../server/binlog/archive-reader";
import { readEvents } from "../../server/binlog/read-events";
import { EventType } from "../../server/binlog/event-types";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { findTool } from "../../server/mysql/tools";
import { LocalStore } from "../../server/storage/local-store";
import {
  compareArchiveWithServer,
  extractArchivedFile,
  insertLargeRow,
  runWorkload,
  serverBinlogFiles,
  serverPosition,
  setupWorkloadSchema,
  spawnChildArchiver,
  testContext,
  waitCaughtUp,
  waitFor,
} from "../helpers/binlog";

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function sandbox(maxBinlogSize = 262144): Promise<Sandbox> {
  // small binlog files so the workload crosses several rotations
  const sb = await startSandbox({ args: [`--max-binlog-size=${maxBinlogSize}`] });
  cleanups.push(() => sb.stop());
  await setupWorkloadSchema(sb);
  return sb;
}

function tempDir(tag: string) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `dbbackup-binlog-${tag}-`));
  cleanups.push(async () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Runs the archiver in this process until stop() (a clean stop). */
function startArchiver(sb: Sandbox, dir: string, store: LocalStore, extra: Record<string, unknown> = {}) {
  const ac = new AbortController();
  const ctx = testContext(ac.signal);
  let status: ArchiverStatus | null = null;
  const run = runArchiver(ctx, { server: sb.address(), dir, store, storePrefix: "arch/", start: "oldest", heartbeatSeconds: 1, onStatus: (s) => (status = s), ...extra });
  run.catch(() => undefined);
  cleanups.push(async () => {
    ac.abort();
    await run.catch(() => undefined);
  });
  return {
    ctx,
    run,
    status: () => status,
    stop: async () => {
      ac.abort();
      return run;
    },
  };
}

async function expectArchiveIdentical(sb: Sandbox, store: LocalStore) {
  const cmp = await compareArchiveWithServer(sb, store, "arch/");
  for (const c of cmp) expect({ file: c.file, sha256: c.archive }).toEqual({ file: c.file, sha256: c.server });
  return cmp;
}

describe("binlog archiver: byte-identical archive", () => {
  it("survives being killed mid-stream with a torn tail, and archives a >16 MiB event", { timeout: 240_000 }, async () => {
    // files large enough that no rotation happens around the kill (so a segment is open)
    const sb = await sandbox(4 << 20);
    const work = tempDir("work");
    const storeDir = tempDir("store");
    const store = new LocalStore(storeDir);

    const first = spawnChildArchiver({ server: sb.address(), dir: work, storeDir, storePrefix: "arch/", start: "oldest", heartbeatSeconds: 1 });
    cleanups.push(async () => void first.child.kill("SIGKILL"));
    await runWorkload(sb, { rounds: 40, ddlEvery: 10, flushEvery: 8 });
    const blob = await insertLargeRow(sb);
    await runWorkload(sb, { rounds: 5 });
    await waitFor("the first archiver to report progress", () => (first.status()?.events ?? 0) > 500, 60_000);

    // keep writing while the archiver dies without any chance to clean up
    const stopLoad = new AbortController();
    const load = runWorkload(sb, { connections: 2, stop: stopLoad.signal, pauseMs: 2 });
    load.catch(() => undefined);
    await sleep(1500);
    first.child.kill("SIGKILL");
    await first.exited;

    // a crash can leave bytes after the checkpoint, ending mid-event: make sure it did
    const state = JSON.parse(fs.readFileSync(path.join(work, "archiver-state.json"), "utf8"));
    expect(state.current, "an open segment at the time of the kill").not.toBeNull();
    const seg = path.join(work, state.current.localName);
    const durable = state.current.endPosition - state.current.byteOffset;
    const size = fs.statSync(seg).size;
    if (size > durable + 1) fs.truncateSync(seg, durable + Math.floor((size - durable) / 2));
    else fs.appendFileSync(seg, crypto.randomBytes(37));
    expect(fs.statSync(seg).size).not.toBe(durable);

    // restart: it must continue from the checkpoint, ignoring `start`
    const second = startArchiver(sb, work, store, { start: "current" });
    await sleep(1000);
    stopLoad.abort();
    await load;
    await runWorkload(sb, { rounds: 12, flushEvery: 5, ddlEvery: 6 });
    await waitCaughtUp(sb, second.status);
    const { stoppedAt } = await second.stop();
    expect({ file: stoppedAt.file, position: stoppedAt.position }).toEqual(await serverPosition(sb));
    expect(second.ctx.logs.some((l) => /Resuming the binlog archive/.test(l.message))).toBe(true);
    expect(second.ctx.logs.some((l) => /Cut \d+ byte\(s\) written after the last checkpoint/.test(l.message))).toBe(true);

    const cmp = await expectArchiveIdentical(sb, store);
    expect(cmp.length).toBeGreaterThanOrEqual(5);

    // the big row's event is in the archive whole, and the stock tool reads every archived file
    const tool = findTool("mariadb-binlog", "mysqlbinlog");
    expect(tool, "mariadb-binlog installed").toBeTruthy();
    let bigEvents = 0;
    for (const { file } of cmp) {
      const out = path.join(work, `check-${file}`);
      await extractArchivedFile(store, "arch/", file, out);
      const { stdout, stderr } = await execFileP(tool!, [out], { maxBuffer: 512 << 20 });
      expect(stderr).not.toMatch(/ERROR/);
      expect(stdout).toMatch(/End of log file/);
      for await (const ev of readEvents(fs.createReadStream(out), { fileName: file })) {
        if (ev.header.type === EventType.WRITE_ROWS_V1 && ev.header.eventSize > 16 * 1024 * 1024) {
          bigEvents++;
          expect(ev.raw.includes(blob.head)).toBe(true);
        }
      }
      fs.rmSync(out);
    }
    expect(bigEvents).toBe(1);
    const [row] = await sb.sql<{ h: string }>("SELECT SHA2(data, 256) AS h FROM wl.blobs");
    expect(row!.h).toBe(blob.sha256);
  });

  it("follows the server through a restart mid-stream", { timeout: 180_000 }, async () => {
    const sb = await sandbox();
    const work = tempDir("work");
    const store = new LocalStore(tempDir("store"));
    const a = startArchiver(sb, work, store);
    await runWorkload(sb, { rounds: 30, flushEvery: 12, ddlEvery: 8 });
    await waitFor("streaming", () => a.status()?.state === "streaming" && (a.status()?.events ?? 0) > 100);
    // a burst the archiver is still reading when the server goes down
    await runWorkload(sb, { rounds: 20 });
    const filesBefore = (await serverBinlogFiles(sb)).length;
    await sb.restart();
    await runWorkload(sb, { rounds: 20, flushEvery: 7 });
    await waitCaughtUp(sb, a.status);
    expect(a.status()!.reconnects).toBeGreaterThanOrEqual(1);
    await a.stop();
    const cmp = await expectArchiveIdentical(sb, store);
    expect(cmp.length).toBeGreaterThan(filesBefore);
    // the file the server closed at shutdown ends with its STOP event in the archive
    const segs = await listArchivedSegments(store, "arch/");
    expect(segs.some((s) => s.endedBy === "stop-event" && s.fileComplete)).toBe(true);
  });

  it("follows the server through a crash (SIGKILL) and keeps the crashed file as the server has it", { timeout: 180_000 }, async () => {
    const sb = await sandbox();
    const work = tempDir("work");
    const store = new LocalStore(tempDir("store"));
    const a = startArchiver(sb, work, store);
    await runWorkload(sb, { rounds: 30, flushEvery: 12 });
    await waitCaughtUp(sb, a.status);
    const crashed = (await serverPosition(sb)).file;
    await sb.kill();
    await sb.start();
    await runWorkload(sb, { rounds: 15, flushEvery: 6 });
    await waitCaughtUp(sb, a.status);
    await a.stop();
    await expectArchiveIdentical(sb, store);
    const segs = (await listArchivedSegments(store, "arch/")).filter((s) => s.file === crashed);
    // the server never closed that file: no ROTATE or STOP at its end, and its "in use" flag stays set
    expect(segs[segs.length - 1]!.endedBy).toBe("file-change");
    expect(segs[segs.length - 1]!.fileComplete).toBe(false);
  });

  it("archives a server that writes no checksums (binlog_checksum=NONE)", { timeout: 120_000 }, async () => {
    const sb = await startSandbox({ args: ["--max-binlog-size=262144", "--binlog-checksum=NONE"] });
    cleanups.push(() => sb.stop());
    await setupWorkloadSchema(sb);
    const work = tempDir("work");
    const store = new LocalStore(tempDir("store"));
    let a = startArchiver(sb, work, store);
    await runWorkload(sb, { rounds: 25, flushEvery: 10 });
    await waitCaughtUp(sb, a.status);
    // restart mid-file: the FORMAT_DESCRIPTION is re-sent without a checksum and must not be written
    await a.stop();
    await runWorkload(sb, { rounds: 10 });
    a = startArchiver(sb, work, store);
    await runWorkload(sb, { rounds: 10 });
    await waitCaughtUp(sb, a.status);
    await a.stop();
    const cmp = await expectArchiveIdentical(sb, store);
    const out = path.join(work, "check");
    await extractArchivedFile(store, "arch/", cmp[0]!.file, out);
    const evs = [];
    for await (const ev of readEvents(fs.createReadStream(out), { fileName: cmp[0]!.file })) evs.push(ev);
    expect(evs[0]!.details).toMatchObject({ kind: "format_description", checksum: "none" });
    expect(evs.filter((e) => e.details?.kind === "xid").length).toBeGreaterThan(5);
  });

  it("resumes without gap or duplicate after its connection is killed, and after a clean stop mid-file", { timeout: 180_000 }, async () => {
    const sb = await sandbox();
    const work = tempDir("work");
    const store = new LocalStore(tempDir("store"));
    let a = startArchiver(sb, work, store);
    const stopLoad = new AbortController();
    const load = runWorkload(sb, { connections: 3, stop: stopLoad.signal, flushEvery: 25, pauseMs: 1 });
    load.catch(() => undefined);
    let kills = 0;
    for (let i = 0; i < 3; i++) {
      await waitFor("the archiver to stream", () => a.status()?.state === "streaming" && (a.status()?.events ?? 0) > 50 * (i + 1));
      await sleep(400);
      const ids = await sb.sql<{ ID: string }>("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'");
      expect(ids.length).toBe(1);
      await sb.sql(`KILL ${ids[0]!.ID}`);
      kills++;
      await waitFor("a reconnect", () => (a.status()?.reconnects ?? 0) >= kills);
    }
    expect(a.ctx.logs.filter((l) => /Reconnected/.test(l.message)).length).toBeGreaterThanOrEqual(3);
    // a clean stop while the server keeps writing: the open file is shipped as a partial segment.
    // The load goes on without FLUSH BINARY LOGS from here, so the stop lands inside a file that
    // has already had events archived (with rotations still going, a loaded machine could stop
    // the archiver between a rotation and the new file's first event: no partial segment then).
    stopLoad.abort();
    await load;
    const keepWriting = new AbortController();
    const load2 = runWorkload(sb, { connections: 3, stop: keepWriting.signal, pauseMs: 1 });
    load2.catch(() => undefined);
    const seen = a.status()?.events ?? 0;
    await waitFor("events of the open file to be archived", () => (a.status()?.events ?? 0) > seen + 50);
    const first = await a.stop();
    expect(first.stoppedAt.position).toBeGreaterThan(4);
    a = startArchiver(sb, work, store, { start: "oldest" });
    await waitFor("the restarted archiver to stream", () => (a.status()?.events ?? 0) > 50);
    keepWriting.abort();
    await load2;
    await sb.sql("FLUSH BINARY LOGS");
    await waitCaughtUp(sb, a.status);
    const { stoppedAt } = await a.stop();
    expect({ file: stoppedAt.file, position: stoppedAt.position }).toEqual(await serverPosition(sb));
    await expectArchiveIdentical(sb, store);
    // the file open at the clean stop is archived in two segments, the second starting where the first ended
    const segs = (await listArchivedSegments(store, "arch/")).filter((s) => s.file === first.stoppedAt.file);
    expect(segs.length).toBeGreaterThanOrEqual(2);
    expect(segs[0]!.endedBy).toBe("shutdown");
    expect(segs[0]!.endPosition).toBe(first.stoppedAt.position);
    expect(segs[1]!.startPosition).toBe(first.stoppedAt.position);
    expect(segs[1]!.byteOffset).toBe(first.stoppedAt.position);
    expect(segs[segs.length - 1]!.fileComplete).toBe(true);
    // nothing keeps reading from the server after a clean stop
    await waitFor("no dump thread left", async () => (await sb.sql("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'")).length === 0, 10_000);
  });
});
