import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runArchiver } from "../../server/binlog/archiver";
import type { ArchiverStatus } from "../../server/binlog/archiver-types";
import { ReplicaSession } from "../../server/binlog/replica-session";
import { LocalStore } from "../../server/storage/local-store";
import { useMariaDB } from "../helpers/mariadb";
import { serverPosition, testContext, waitBinlogCheckpoint, waitFor } from "../helpers/binlog";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-binlog-err-"));
  dirs.push(d);
  return d;
}

const sb = await useMariaDB();
await sb.sql("CREATE DATABASE e; CREATE TABLE e.t (id INT PRIMARY KEY AUTO_INCREMENT, v INT)");

async function rotateWithWrites(n: number) {
  for (let i = 0; i < n; i++) await sb.sql("INSERT INTO e.t (v) VALUES (1); FLUSH BINARY LOGS;");
  // the new file's own checkpoint event follows about a second later; let it land now, not in
  // the middle of the next test
  await waitBinlogCheckpoint(sb);
}

describe("binlog archiver failures a DBA must act on", () => {
  it("detects another replica with the same server id and says to change --server-id", { timeout: 60_000 }, async () => {
    const ac = new AbortController();
    const ctx = testContext(ac.signal);
    let status: ArchiverStatus | null = null;
    const run = runArchiver(ctx, { server: sb.address(), dir: tempDir(), serverId: 4242, heartbeatSeconds: 1, onStatus: (s) => (status = s) });
    run.catch(() => undefined);
    await waitFor("the archiver to stream", () => status?.state === "streaming");

    // a second replica registers with the same id: the server drops the older dump (ours)
    const other = await ReplicaSession.open(sb.address(), { server: sb.address(), serverId: 4242, heartbeatSeconds: 1, replicaUuid: "b0b0b0b0-0000-4000-8000-000000000001" });
    const pos = await serverPosition(sb);
    const otherDump = other.dump(pos, () => undefined);
    otherDump.catch(() => undefined);
    try {
      const err = await run.then(
        () => null,
        (e: unknown) => e as Error & { retryable?: boolean; code?: string },
      );
      expect(err).not.toBeNull();
      expect(err!.message).toMatch(/Another replica with server id 4242/);
      expect(err!.message).toMatch(/Ensure a unique --server-id across all replicas/);
      expect(err!.message).toMatch(/default is 99999, change it if it conflicts/);
      expect(err!.retryable).toBe(false);
      expect(err!.code).toBe("CONFLICT");
    } finally {
      other.destroy();
    }
  });

  it("fails with the gap explanation when starting from a purged binlog", { timeout: 60_000 }, async () => {
    await rotateWithWrites(3);
    const files = (await sb.sql<{ Log_name: string }>("SHOW BINARY LOGS")).map((r) => r.Log_name);
    const oldest = files[0]!;
    await sb.sql(`PURGE BINARY LOGS TO '${files[2]}'`);
    const ctx = testContext(new AbortController().signal);
    const err = await runArchiver(ctx, { server: sb.address(), dir: tempDir(), start: { file: oldest, position: 4 } }).then(
      () => null,
      (e: Error & { retryable?: boolean }) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.message).toContain(`${oldest}:4`);
    expect(err!.message).toMatch(/purged/);
    expect(err!.message).toMatch(/Point-in-time recovery has a gap from .* until the next full backup/);
    expect(err!.retryable).toBe(false);
  });

  it("fails with the gap explanation when the binlog after its checkpoint was purged while it was stopped", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const store = new LocalStore(tempDir());
    const ac = new AbortController();
    let status: ArchiverStatus | null = null;
    const run = runArchiver(testContext(ac.signal), { server: sb.address(), dir, store, start: "current", heartbeatSeconds: 1, onStatus: (s) => (status = s) });
    await sb.sql("INSERT INTO e.t (v) VALUES (2)");
    // the server's position is read on every poll: anything it writes after the insert moves it on
    await waitFor("the archiver to catch up", async () => {
      const p = await serverPosition(sb);
      return status?.position === p.position && status.file === p.file;
    });
    ac.abort();
    const { stoppedAt } = await run;

    // while it is down the server moves on and purges the file it was in
    await rotateWithWrites(2);
    const files = (await sb.sql<{ Log_name: string }>("SHOW BINARY LOGS")).map((r) => r.Log_name);
    await sb.sql(`PURGE BINARY LOGS TO '${files[files.length - 1]}'`);

    const ctx = testContext(new AbortController().signal);
    const err = await runArchiver(ctx, { server: sb.address(), dir, store, heartbeatSeconds: 1 }).then(
      () => null,
      (e: Error & { retryable?: boolean }) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.message).toContain(`${stoppedAt.file}:${stoppedAt.position}`);
    expect(err!.message).toMatch(/Could not find first log file name in binary log index file/);
    expect(err!.message).toMatch(/gap .* until the next full backup/);
    expect(err!.retryable).toBe(false);
    expect(ctx.logs.some((l) => l.level === "error" && /purged/.test(l.message))).toBe(true);
  });

  it("fails with the gap explanation when the start GTID was purged", { timeout: 60_000 }, async () => {
    const [{ p }] = (await sb.sql<{ p: string }>("SELECT @@gtid_binlog_pos AS p")) as [{ p: string }];
    const [domain, server] = p.split("-");
    const ctx = testContext(new AbortController().signal);
    const err = await runArchiver(ctx, { server: sb.address(), dir: tempDir(), start: { gtid: `${domain}-${server}-1` } }).then(
      () => null,
      (e: Error & { retryable?: boolean }) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.message).toMatch(/purged|not in the master's binlog/);
    expect(err!.retryable).toBe(false);
  });
});
