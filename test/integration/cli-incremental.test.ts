// `dbbackup physical-backup --engine mariabackup --incremental-from <backup>` as a user runs it:
// a full into an encrypted S3 set, an incremental of it into a local directory (the base's
// checkpoints come from its stored manifest, nothing of it on this disk), then `restore --from`
// the incremental finds the chain through the recorded location and writes a datadir that starts
// equal to the source. A differential against an incremental is refused with the fix.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { runCli } from "../fixtures/cli/run-cli";
import { checksums } from "../helpers/runs";
import { startS3, type TestS3 } from "../helpers/s3";

let src: Sandbox;
let s3: TestS3;
let work: string;
let env: Record<string, string>;
let keyFile: string;
const started: Sandbox[] = [];
const conn = () => ["--host", "127.0.0.1", "--port", String(src.port), "--user", "root"];
const sqlOf = (sb: Sandbox) => <T>(q: string, p?: unknown[]) => sb.sql(q, p) as Promise<T[]>;

beforeAll(async () => {
  src = await startSandbox();
  await src.sql(`CREATE DATABASE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, v INT, note VARCHAR(100)) ENGINE=InnoDB;
    INSERT INTO shop.items SELECT seq, seq, REPEAT('x', 80) FROM shop.seq_1_to_4000;
    CREATE TABLE shop.log (id INT PRIMARY KEY, msg TEXT) ENGINE=Aria; INSERT INTO shop.log VALUES (1, 'a');`);
  s3 = await startS3("cli-incr");
  env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-cli-incr-"));
  keyFile = path.join(work, "key");
  fs.writeFileSync(keyFile, crypto.randomBytes(32).toString("hex"), { mode: 0o600 });
}, 120_000);

afterAll(async () => {
  for (const sb of started) await sb.stop().catch(() => undefined);
  await src?.stop().catch(() => undefined);
  await s3?.stop().catch(() => undefined);
  if (work) fs.rmSync(work, { recursive: true, force: true });
}, 120_000);

describe("incremental backups from the CLI", () => {
  it("full to S3, incremental to a directory, restore --from the incremental equals the source", async () => {
    const full = `s3://${s3.bucket}/db1/full/`;
    const s3flags = ["--s3-endpoint", s3.endpoint];
    const r1 = await runCli(["physical-backup", ...conn(), "--engine", "mariabackup", "--output", full, "--encryption-key-file", keyFile, ...s3flags, "-q"], env);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stdout).toMatch(/full backup, LSN \d+: the base of later --incremental-from backups/);

    await src.sql("UPDATE shop.items SET v = v * 2 WHERE id % 40 = 0; INSERT INTO shop.items VALUES (5001, 1, 'new'); INSERT INTO shop.log VALUES (2, 'b')");
    const inc = path.join(work, "inc1");
    const r2 = await runCli(["physical-backup", ...conn(), "--incremental-from", full, "--output", inc, "--encryption-key-file", keyFile, ...s3flags, "--json", "-q"], env);
    expect(r2.code, r2.stderr).toBe(0);
    const out = JSON.parse(r2.stdout);
    expect(out.engine).toBe("mariabackup");
    expect(out.chain).toMatchObject({ kind: "incremental", parent: { location: full }, depth: 1 });

    // a differential is taken against a full, and the message says which one
    const bad = await runCli(["physical-backup", ...conn(), "--incremental-from", inc, "--differential", "--output", path.join(work, "d"), "-q"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/is an incremental backup: a differential is taken against a full backup\. Name the chain's full backup/);
    expect(fs.existsSync(path.join(work, "d"))).toBe(false);

    const datadir = path.join(work, "restored");
    const rr = await runCli(["restore", "--from", inc, "--datadir", datadir, "--encryption-key-file", keyFile, ...s3flags], env);
    expect(rr.code, rr.stderr).toBe(0);
    const sb = await startSandbox({ dir: fs.mkdtempSync(path.join(work, "run-")), datadir, binlog: false });
    started.push(sb);
    expect(await checksums(sqlOf(sb), "shop")).toEqual(await checksums(sqlOf(src), "shop"));
    expect((await sb.sql<{ n: string }>("SELECT COUNT(*) n FROM shop.items"))[0]!.n).toBe("4001");

    // the base gone: the restore says which link broke before writing anything
    await runCli(["physical-backup", ...conn(), "--engine", "mariabackup", "--output", path.join(work, "full2"), "-q"], env);
    const r3 = await runCli(["physical-backup", ...conn(), "--incremental-from", path.join(work, "full2"), "--output", path.join(work, "inc2"), "-q"], env);
    expect(r3.code, r3.stderr).toBe(0);
    fs.rmSync(path.join(work, "full2"), { recursive: true });
    const gone = await runCli(["restore", "--from", path.join(work, "inc2"), "--datadir", path.join(work, "restored2")], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/chain of backup b\w+ is broken at b\w+, the base of incremental backup b\w+: .*does not exist/);
    expect(fs.existsSync(path.join(work, "restored2"))).toBe(false);
  }, 180_000);
});
