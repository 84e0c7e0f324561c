// Point-in-time restore from the command line: a base backup, the binlog archive binlog-stream
// wrote (to a directory and, mirrored, to S3), and restore --binlogs --until <time | GTID |
// position> reproducing the marked state exactly, in a renamed copy that never touches the source.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { lastLine, runCli, startCli, type RunningCli } from "../fixtures/cli/run-cli";
import { serverPosition, waitCliArchiverCaughtUp } from "../helpers/binlog";
import { checksums } from "../helpers/runs";
import { startS3, type TestS3 } from "../helpers/s3";

const caughtUp = (run: RunningCli) => waitCliArchiverCaughtUp(sb, run);

let sb: Sandbox;
let s3: TestS3;
let work: string;
let awsEnv: Record<string, string>;
const sql = <T>(q: string, p?: unknown[]) => sb.sql(q, p) as Promise<T[]>;
const conn = () => ["--host", "127.0.0.1", "--port", String(sb.port), "--user", "root"];

let marked: Record<string, string>;
let finalState: Record<string, string>;
let markTime: string;
let markGtid: string;
let markPos: string;
const setDir = () => path.join(work, "base");
const archiveDir = () => path.join(work, "binlog");
const s3Archive = () => `s3://${s3.bucket}/binlog/`;

beforeAll(async () => {
  // stopped in afterAll: a sandbox started inside a hook must be stopped explicitly
  sb = await startSandbox();
  s3 = await startS3("pitr-cli");
  awsEnv = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-cli-pitr-"));
  await sb.sql(`CREATE DATABASE pitr;
    CREATE TABLE pitr.accounts (id INT PRIMARY KEY AUTO_INCREMENT, owner VARCHAR(64) NOT NULL, balance DECIMAL(12,2) NOT NULL, updated DATETIME(6));
    CREATE TABLE pitr.ledger (id BIGINT PRIMARY KEY AUTO_INCREMENT, account INT NOT NULL, delta DECIMAL(12,2) NOT NULL, note TEXT)`);
  for (let i = 1; i <= 200; i++) await sb.sql("INSERT INTO pitr.accounts (owner, balance) VALUES (?, ?)", [`owner-${i}`, i * 10]);

  // the archive runs from before the base backup, to a directory and mirrored to S3
  const archiver = startCli(["binlog-stream", ...conn(), "--output", archiveDir(), "--target", s3Archive(), "--s3-endpoint", s3.endpoint, "--start", "oldest", "--server-id", "5150", "--json"], awsEnv);
  await caughtUp(archiver);
  const base = await runCli(["physical-backup", ...conn(), "--databases", "pitr", "--output", setDir(), "-q"]);
  expect(base.code, base.stderr).toBe(0);

  // changes after the base backup, up to the marked moment
  for (let i = 0; i < 60; i++) {
    await sb.sql("START TRANSACTION; UPDATE pitr.accounts SET balance = balance + ?, updated = NOW(6) WHERE id = ?; INSERT INTO pitr.ledger (account, delta, note) VALUES (?, ?, ?); COMMIT", [i, 1 + (i % 200), 1 + (i % 200), i, `before mark ${i}`]);
  }
  await sb.sql("DELETE FROM pitr.accounts WHERE id BETWEEN 150 AND 160");
  await sb.sql("ALTER TABLE pitr.ledger ADD COLUMN tag VARCHAR(16) DEFAULT 'a'");
  await sb.sql("FLUSH BINARY LOGS");
  await sb.sql("UPDATE pitr.ledger SET tag = 'b' WHERE id % 3 = 0");
  marked = await checksums(sql, "pitr");
  const [g] = await sb.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
  markGtid = g!.g;
  const pos = await serverPosition(sb);
  markPos = `${pos.file}:${pos.position}`;
  // the marked time is the last whole second before any later commit
  const s1 = Math.ceil(Date.now() / 1000);
  await new Promise((r) => setTimeout(r, s1 * 1000 - Date.now() + 150));
  markTime = new Date((s1 - 1) * 1000).toISOString();

  // what happens after the mark must not appear in the restored copies
  for (let i = 0; i < 40; i++) await sb.sql("UPDATE pitr.accounts SET balance = 0 WHERE id = ?", [i + 1]);
  await sb.sql("TRUNCATE TABLE pitr.ledger");
  await sb.sql("INSERT INTO pitr.accounts (owner, balance) VALUES ('late', 1)");
  finalState = await checksums(sql, "pitr");
  await caughtUp(archiver);
  archiver.child.kill("SIGTERM");
  const a = await archiver.done;
  expect(a.code, a.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await sb?.stop();
  await s3?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("restore --binlogs", () => {
  it("--until <time> reproduces the marked state in a renamed copy; the source is untouched", async () => {
    expect(finalState).not.toEqual(marked);
    const r = await runCli(["restore", "--from", setDir(), ...conn(), "--rename-db", "pitr:pitr_time", "--binlogs", archiveDir(), "--until", markTime, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.replay).toMatchObject({ target: markTime, stoppedBy: "the target" });
    // 60 transfers, the DELETE, the ALTER and the UPDATE after the rotation
    expect(out.replay.transactions).toBe(63);
    expect(await checksums(sql, "pitr_time")).toEqual(marked);
    expect(await checksums(sql, "pitr")).toEqual(finalState);
  });

  it("--until-gtid and --until-position stop at the same transaction", async () => {
    const g = await runCli(["restore", "--from", setDir(), ...conn(), "--rename-db", "pitr:pitr_gtid", "--binlogs", archiveDir(), "--until-gtid", markGtid, "-q"]);
    expect(g.code, g.stderr).toBe(0);
    expect(await checksums(sql, "pitr_gtid")).toEqual(marked);
    const p = await runCli(["restore", "--from", setDir(), ...conn(), "--rename-db", "pitr:pitr_pos", "--binlogs", archiveDir(), "--until-position", markPos, "-q"]);
    expect(p.code, p.stderr).toBe(0);
    expect(await checksums(sql, "pitr_pos")).toEqual(marked);
  });

  it("replays from the S3 mirror of the archive as well", async () => {
    const r = await runCli(["restore", "--from", setDir(), ...conn(), "--rename-db", "pitr:pitr_s3", "--binlogs", s3Archive(), "--s3-endpoint", s3.endpoint, "--until", markTime, "-q"], awsEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(await checksums(sql, "pitr_s3")).toEqual(marked);
  });

  it("says what is wrong with a target before restoring anything", async () => {
    const bad = await runCli(["restore", "--from", setDir(), ...conn(), "--rename-db", "pitr:pitr_bad", "--binlogs", archiveDir(), "--until", "yesterday"]);
    expect(bad.code).toBe(2);
    expect(lastLine(bad.stderr)).toMatch(/^dbbackup: --until yesterday: not a time; use ISO 8601/);
    const two = await runCli(["restore", "--from", setDir(), ...conn(), "--binlogs", archiveDir(), "--until", markTime, "--until-gtid", markGtid]);
    expect(two.code).toBe(2);
    expect(lastLine(two.stderr)).toBe("dbbackup: give one of --until, --until-gtid, --until-position");
    const noArchive = await runCli(["restore", "--from", setDir(), ...conn(), "--until", markTime]);
    expect(noArchive.code).toBe(2);
    expect(lastLine(noArchive.stderr)).toMatch(/--until needs --binlogs/);
    const early = await runCli(["restore", "--from", setDir(), ...conn(), "--rename-db", "pitr:pitr_early", "--binlogs", archiveDir(), "--until", "2001-01-01T00:00:00Z"]);
    expect(early.code).toBe(1);
    expect(lastLine(early.stderr)).toMatch(/is before backup b\w+ was taken/);
    expect((await sb.sql("SHOW DATABASES LIKE 'pitr_early'")).length).toBe(0);
    // an archive without the base backup's binlog: refused before the base is restored, with what to do
    const empty = path.join(work, "empty-archive");
    fs.mkdirSync(empty);
    const missing = await runCli(["restore", "--from", setDir(), ...conn(), "--rename-db", "pitr:pitr_missing", "--binlogs", empty, "--until", markTime]);
    expect(missing.code).toBe(1);
    expect(lastLine(missing.stderr)).toMatch(new RegExp(`^dbbackup: ${empty} has no binlog\\.\\d+, where the base backup's coordinates`));
    expect(lastLine(missing.stderr)).toMatch(/Nothing was restored\. .*binlog-stream --start oldest/);
    expect(missing.stderr).not.toMatch(/Restoring /);
    expect((await sb.sql("SHOW DATABASES LIKE 'pitr_missing'")).length).toBe(0);
  });
});
