// `dbbackup binlog-stream` as a process: SIGTERM closes the open segment cleanly, the files in the
// output directory are readable by mariadb-binlog, a second run resumes with no gap (every server
// binlog equals its archived copy byte for byte), and the archiver's fatal errors end the command
// with their message and a non-zero exit.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listArchivedSegments } from "../../server/binlog";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { LocalStore } from "../../server/storage/local-store";
import { lastLine, startCli, type RunningCli } from "../fixtures/cli/run-cli";
import { compareArchiveWithServer, serverPosition, setupWorkloadSchema, waitCliArchiverCaughtUp } from "../helpers/binlog";

const caughtUp = (run: RunningCli) => waitCliArchiverCaughtUp(sb, run);

let sb: Sandbox;
let work: string;

beforeAll(async () => {
  // stopped in afterAll: a sandbox started inside a hook must be stopped explicitly
  sb = await startSandbox();
  await setupWorkloadSchema(sb);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-cli-binlog-"));
}, 120_000);

afterAll(async () => {
  await sb?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const conn = () => ["--host", "127.0.0.1", "--port", String(sb.port), "--user", "root"];

async function writes(n: number, tag: string) {
  for (let i = 0; i < n; i++) await sb.sql("INSERT INTO wl.accounts (owner, balance, note) VALUES (?, ?, REPEAT('x', 500))", [`${tag}-${i}`, i]);
}

describe("binlog-stream --output DIR", () => {
  const dir = () => path.join(work, "archive");

  it("archives until SIGTERM, then closes the open segment cleanly; mariadb-binlog reads the files", async () => {
    await writes(50, "first");
    const run = startCli(["binlog-stream", ...conn(), "--output", dir(), "--start", "oldest", "--server-id", "4711", "--json"]);
    await caughtUp(run);
    await sb.sql("FLUSH BINARY LOGS");
    await writes(30, "second");
    await caughtUp(run);
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const end = await serverPosition(sb);
    expect(lastLine(r.stderr)).toMatch(new RegExp(`^stopped at ${end.file.replace(".", "\\.")}:${end.position} \\(GTID \\d+-\\d+-\\d+\\); \\d+ segments shipped this run to ${dir()}/$`));
    const stopped = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(stopped).toMatchObject({ stopped: true, file: end.file, position: end.position });

    // every segment with its metadata, in the directory itself; the working files apart
    const segs = await listArchivedSegments(new LocalStore(dir()), "");
    const files = (await sb.sql<{ Log_name: string }>("SHOW BINARY LOGS")).map((x) => x.Log_name);
    expect([...new Set(segs.map((s) => s.file))]).toEqual(files);
    const last = segs[segs.length - 1]!;
    expect(last).toMatchObject({ file: end.file, endPosition: end.position, endedBy: "shutdown", fileComplete: false });
    expect(fs.existsSync(path.join(dir(), ".dbbackup-work", "archiver-state.json"))).toBe(true);

    // a complete file's segment is a binlog file mariadb-binlog reads as it is
    const first = segs.find((s) => s.file === files[0] && s.startPosition === 4 && s.fileComplete)!;
    const read = spawnSync("mariadb-binlog", ["--base64-output=decode-rows", "-v", path.join(dir(), first.key)]);
    expect(read.status, read.stderr.toString()).toBe(0);
    expect(read.stdout.toString()).toContain("INSERT INTO `wl`.`accounts`");
    expect(read.stdout.toString()).toContain("first-49");
    // and so is the open file's first part, stopped cleanly at a transaction boundary
    const open = segs.find((s) => s.file === end.file && s.startPosition === 4)!;
    const r2 = spawnSync("mariadb-binlog", ["--base64-output=decode-rows", "-v", path.join(dir(), open.key)]);
    expect(r2.status, r2.stderr.toString()).toBe(0);
    expect(r2.stdout.toString()).toContain("second-29");
  });

  it("resumes from its checkpoint with no gap: every binlog equals the server's byte for byte", async () => {
    // written while no archiver runs
    await writes(40, "offline");
    await sb.sql("FLUSH BINARY LOGS");
    await writes(10, "offline2");
    const run = startCli(["binlog-stream", ...conn(), "--output", dir(), "--server-id", "4711", "--json"]);
    await caughtUp(run);
    expect(run.stderr()).toMatch(/Resuming|resum/i);
    await writes(25, "third");
    await sb.sql("FLUSH BINARY LOGS");
    await writes(5, "fourth");
    await caughtUp(run);
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const cmp = await compareArchiveWithServer(sb, new LocalStore(dir()), "");
    expect(cmp.length).toBeGreaterThanOrEqual(4);
    for (const f of cmp) expect(f.archive, `${f.file}: ${f.archive}`).toBe(f.server);
  });
});

describe("binlog-stream --config", () => {
  it("takes server id, rotate size and the file target from backup.binlog", async () => {
    const dir = path.join(work, "from-config");
    const cfg = path.join(work, "binlog.yaml");
    fs.writeFileSync(
      cfg,
      `connection:\n  port: ${sb.port}\nbackup:\n  binlog:\n    server_id: 31337\n    checkpoint_interval: 100ms\n    start: current\n    targets:\n      - type: file\n        path: ${dir}\n        rotate_size: 16K\n`,
    );
    const run = startCli(["binlog-stream", "--config", cfg, "--json"]);
    await caughtUp(run);
    const replicas = await sb.sql<{ Server_id: string | number }>("SHOW SLAVE HOSTS");
    expect(replicas.map((r) => Number(r.Server_id))).toContain(31337);
    await writes(80, "config");
    await caughtUp(run);
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const segs = await listArchivedSegments(new LocalStore(dir), "");
    // 80 rows of ~600 bytes: several segments cut at 16 KiB, each a contiguous continuation of the last
    expect(segs.filter((x) => x.endedBy === "size").length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < segs.length; i++) if (segs[i]!.file === segs[i - 1]!.file) expect(segs[i]!.startPosition).toBe(segs[i - 1]!.endPosition);
  });
});

describe("binlog-stream failures", () => {
  it("a purged start position ends with the archiver's explanation and exit 1", async () => {
    const [{ File: current }] = await sb.sql<{ File: string }>("SHOW MASTER STATUS");
    await sb.sql(`PURGE BINARY LOGS TO '${current}'`);
    const run = startCli(["binlog-stream", ...conn(), "--output", path.join(work, "purged"), "--start", "binlog.000001:4", "--server-id", "4712"]);
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^dbbackup: The binlog the archive needs next \(binlog\.000001:4\) is no longer on 127\.0\.0\.1:\d+: it was purged/);
  });

  it("another replica with the same server id ends one of them with the conflict message", { timeout: 120_000 }, async () => {
    const a = startCli(["binlog-stream", ...conn(), "--output", path.join(work, "a"), "--server-id", "4242", "--json"]);
    await caughtUp(a);
    const b = startCli(["binlog-stream", ...conn(), "--output", path.join(work, "b"), "--server-id", "4242", "--json"]);
    const winner = await Promise.race([a.done.then(() => ({ loser: a, other: b })), b.done.then(() => ({ loser: b, other: a }))]);
    const r = await winner.loser.done;
    winner.other.child.kill("SIGTERM");
    await winner.other.done;
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^dbbackup: Another replica with server id 4242 is connected to 127\.0\.0\.1:\d+.*Ensure a unique --server-id across all replicas/);
  });

  it("usage errors exit 2 before connecting", async () => {
    const none = await startCli(["binlog-stream", ...conn()]).done;
    expect(none.code).toBe(2);
    expect(lastLine(none.stderr)).toBe("dbbackup: binlog-stream needs --output DIR or --target s3://bucket/prefix/ (or backup.binlog.targets in the config file)");
    const bad = await startCli(["binlog-stream", ...conn(), "--output", path.join(work, "x"), "--start", "yesterday"]).done;
    expect(bad.code).toBe(2);
    expect(lastLine(bad.stderr)).toMatch(/--start yesterday: use oldest, current, FILE:POS/);
    expect(fs.existsSync(path.join(work, "x"))).toBe(false);
  });
});
