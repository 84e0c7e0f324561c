// The seed document's commands as written, run through bin/dbbackup against real MariaDB sandboxes
// (and s3rver): the engine list names the seed's engines, --config goes before the subcommand,
// and a wrong output location is refused with what is wrong, before the server is touched.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_SCHEMA_SQL, sampleDataSql } from "../../cli/sample-data";
import { freePort, startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { lastLine, runCli } from "../fixtures/cli/run-cli";
import { startS3, type TestS3 } from "../helpers/s3";

let src: Sandbox;
let s3: TestS3;
let work: string;
let awsEnv: Record<string, string>;
const conn = (sb: Sandbox = src) => ["--host", "127.0.0.1", "--port", String(sb.port), "--user", "root"];

beforeAll(async () => {
  src = await startSandbox();
  await src.sql(SAMPLE_SCHEMA_SQL);
  await src.sql(sampleDataSql(500));
  s3 = await startS3("seed-conformance");
  awsEnv = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-seed-"));
}, 180_000);

afterAll(async () => {
  await src?.stop();
  await s3?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Connections the server accepted so far (this query's own connection included). */
async function connections(sb: Sandbox): Promise<number> {
  const [r] = await sb.sql<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Connections'");
  return Number(r!.Value);
}

describe("engine list names the seed's engines", () => {
  it("lists mysqldump (the logical engine) and streaming (stream-backup) with their availability", async () => {
    const r = await runCli(["engine", "list", ...conn()]);
    expect(r.code, r.stderr).toBe(0);
    // mysqldump right after logical, available as it is
    expect(r.stdout).toMatch(/^logical +available .*\n(?: +- .*\n)*mysqldump +available +the seed's name for the logical engine: --engine mysqldump runs logical/m);
    expect(r.stdout).toMatch(/^streaming +available +not an engine of its own: stream-backup --target s3:\/\/bucket\/\.\.\. sends any available engine's output straight to S3/m);
    expect(r.stdout).toMatch(/^ +- engines that can stream here: logical, .*mariabackup/m);
    // every seed engine name appears as a row
    for (const name of ["mysqldump", "clone", "snapshot", "streaming"]) expect(r.stdout).toMatch(new RegExp(`^${name} +(available|unavailable) `, "m"));
    const j = JSON.parse((await runCli(["engine", "list", ...conn(), "--json"])).stdout);
    expect(j.seedNames).toEqual([
      expect.objectContaining({ name: "mysqldump", means: "logical", available: true }),
      expect.objectContaining({ name: "streaming", means: "stream-backup", available: true }),
    ]);
  });

  it("--engine mysqldump writes the logical engine's backup", async () => {
    const out = path.join(work, "mysqldump.sql.gz");
    const r = await runCli(["physical-backup", "--engine", "mysqldump", "--output", out, ...conn(), "--databases", "shop", "-q"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(`${out}.manifest.json`, "utf8")).engine).toBe("logical");
  });
});

describe("--config before the subcommand", () => {
  it("`dbbackup --config c.yaml engine select` reads the file as `engine select --config c.yaml` does", async () => {
    const cfg = path.join(work, "c.yaml");
    fs.writeFileSync(cfg, `connection:\n  host: 127.0.0.1\n  port: ${src.port}\n  user: root\n`);
    const before = await runCli(["--config", cfg, "engine", "select"]);
    const after = await runCli(["engine", "select", "--config", cfg]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toMatch(/^Database Information:\n/);
    expect(before.stdout).toMatch(/Flavor: +MariaDB/);
    expect(before.stdout).toBe(after.stdout);
    // a backup too, with output: from the file
    const out = path.join(work, "from-global-config.sql.zst");
    fs.writeFileSync(cfg, `connection:\n  host: 127.0.0.1\n  port: ${src.port}\n  user: root\noutput: ${out}\nbackup:\n  databases: [shop]\n`);
    const b = await runCli(["--config", cfg, "physical-backup", "-q"]);
    expect(b.code, b.stderr).toBe(0);
    expect(fs.existsSync(out)).toBe(true);
    // a bad file given before the subcommand is a usage error as well
    fs.writeFileSync(cfg, "backup:\n  engin: auto\n");
    const bad = await runCli(["--config", cfg, "engine", "select", ...conn()]);
    expect(bad.code).toBe(2);
    expect(lastLine(bad.stderr)).toBe(`dbbackup: ${cfg}: backup.engin: unknown key (did you mean engine?) (line 2)`);
  });
});

describe("output locations are checked before the server is touched", () => {
  it("s3:// without a bucket, and an invalid bucket name, are usage errors (exit 2) that say so", async () => {
    const none = await runCli(["physical-backup", ...conn(), "--output", "s3://"]);
    expect(none.code).toBe(2);
    expect(lastLine(none.stderr)).toBe("dbbackup: s3://: name a bucket, as in s3://bucket/prefix/ (a backup set) or s3://bucket/path/db.sql.zst (one object)");
    const stream = await runCli(["stream-backup", ...conn(), "--target", "s3://"]);
    expect(stream.code).toBe(2);
    const bad = await runCli(["physical-backup", ...conn(), "--output", "s3://My_Bucket/x", "--s3-endpoint", s3.endpoint], awsEnv);
    expect(bad.code).toBe(2);
    expect(lastLine(bad.stderr)).toBe(
      'dbbackup: s3://My_Bucket/x: "My_Bucket" is not a valid S3 bucket name: bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit; "M", "_", "B" are not allowed (no capitals)',
    );
    expect(bad.stderr).not.toContain("does not exist");
    const short = await runCli(["stream-backup", ...conn(), "--target", "s3://ab/db.tar.gz", "--s3-endpoint", s3.endpoint], awsEnv);
    expect(short.code).toBe(2);
    expect(lastLine(short.stderr)).toMatch(/"ab" is not a valid S3 bucket name: .* \(this one has 2\)$/);
    // restore --from is checked the same way
    const from = await runCli(["restore", ...conn(), "--from", "s3://Bad_Name/x/", "--s3-endpoint", s3.endpoint], awsEnv);
    expect(from.code).toBe(2);
    expect(lastLine(from.stderr)).toMatch(/"Bad_Name" is not a valid S3 bucket name/);
  });

  it("an output under a file names the file (no raw EEXIST/ENOTDIR)", async () => {
    const file = path.join(work, "plain-file");
    fs.writeFileSync(file, "x");
    for (const out of [path.join(file, "sub", "x.sql.gz"), path.join(file, "x.sql.gz"), path.join(file, "set") + "/"]) {
      const r = await runCli(["physical-backup", ...conn(), "--output", out]);
      expect(r.code, out).toBe(2);
      expect(lastLine(r.stderr)).toBe(`dbbackup: ${out}: ${file} is a file, not a directory, so nothing can be created under it; choose another location`);
    }
    const set = await runCli(["physical-backup", ...conn(), "--output", file + "/"]);
    expect(set.code).toBe(2);
    expect(lastLine(set.stderr)).toBe(`dbbackup: ${file}/: ${file} is a file, not a directory; a backup set needs a directory of its own`);
    expect(fs.readFileSync(file, "utf8")).toBe("x");
  });

  it("an output nothing can be created in (/proc) is refused before connecting: no connection, no lock, nothing in the binlog", async () => {
    const [{ File: file0, Position: pos0 }] = await src.sql<{ File: string; Position: number }>("SHOW MASTER STATUS");
    const c0 = await connections(src);
    for (const out of ["/proc/x.sql.gz", "/proc/dbbackup-set/"]) {
      const r = await runCli(["physical-backup", ...conn(), "--output", out]);
      expect(r.code, r.stderr).toBe(2);
      expect(lastLine(r.stderr)).toBe(`dbbackup: ${out} cannot be written: nothing can be created in /proc (this filesystem does not allow new files there); choose a writable location`);
      expect(r.stderr).not.toMatch(/connecting|Engine:/);
    }
    // the only connection since c0 is the one asking
    expect(await connections(src)).toBe(c0 + 1);
    const [{ File: file1, Position: pos1 }] = await src.sql<{ File: string; Position: number }>("SHOW MASTER STATUS");
    expect([file1, pos1]).toEqual([file0, pos0]);
    // with no server listening at all, the location error still wins
    const port = await freePort();
    const down = await runCli(["physical-backup", "--port", port, "--output", "/proc/x.sql.gz"]);
    expect(down.code).toBe(2);
    expect(lastLine(down.stderr)).toMatch(/^dbbackup: \/proc\/x\.sql\.gz cannot be written/);
  });

  it("a new nested directory still works and the probe leaves nothing behind", async () => {
    const out = path.join(work, "new", "deeper", "set") + "/";
    const r = await runCli(["physical-backup", ...conn(), "--databases", "shop", "--output", out, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(out, "manifest.json"))).toBe(true);
    expect(fs.readdirSync(work).filter((f) => f.startsWith(".dbbackup-probe"))).toEqual([]);
  });
});
