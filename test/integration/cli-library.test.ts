// examples/library-backup.ts, the README's library example, runs against a sandbox MariaDB and
// s3rver: it selects an engine, writes a set that the CLI verifies and restores equal to the
// source, and its CloudStreamer copies arrive in S3 byte for byte.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_SCHEMA_SQL, sampleDataSql } from "../../cli/sample-data";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { cliEnv, runCli } from "../fixtures/cli/run-cli";
import { checksums } from "../helpers/runs";
import { s3Leftovers, startS3, type TestS3 } from "../helpers/s3";

const ROOT = path.resolve(import.meta.dirname, "../..");
let sb: Sandbox;
let s3: TestS3;
let work: string;

beforeAll(async () => {
  // stopped in afterAll: a sandbox started inside a hook must be stopped explicitly
  sb = await startSandbox();
  await sb.sql(SAMPLE_SCHEMA_SQL);
  await sb.sql(sampleDataSql(2000));
  s3 = await startS3("library-example");
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-lib-"));
}, 120_000);

afterAll(async () => {
  await sb?.stop();
  await s3?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("examples/library-backup.ts", () => {
  it("backs up through the library API and streams the set to S3", async () => {
    const dir = path.join(work, "set");
    // asynchronously: s3rver answers from this very process
    const child = spawn(process.execPath, ["--import", "tsx", "examples/library-backup.ts"], {
      cwd: ROOT,
      env: cliEnv({
        MYSQL_HOST: "127.0.0.1",
        MYSQL_PORT: String(sb.port),
        MYSQL_USER: "root",
        MYSQL_PWD: "",
        BACKUP_DIR: dir,
        S3_BUCKET: s3.bucket,
        S3_PREFIX: "copies/",
        S3_ENDPOINT: s3.endpoint,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      }),
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(code, err).toBe(0);
    expect(out).toMatch(/^Engines: logical, snapshot, mariabackup, xtrabackup, clone$/m);
    expect(out).toMatch(/^Server: mariadb 10\.11\.\d+, \d+ bytes of data$/m);
    expect(out).toMatch(/^Engine: logical$/m);
    expect(out).toMatch(/^Reason: \d+MB database \(under 10GB\)/m);
    const id = /^Backup (b\w+): (\d+) objects/m.exec(out)!;
    expect(id).not.toBeNull();
    expect(out).toContain(`Checked ${id[2]} objects`);

    // the set is a normal backup: the CLI verifies it and restores it equal to the source
    expect((await runCli(["verify", dir, "-q"])).code).toBe(0);
    const rr = await runCli(["restore", "--from", dir, "--port", sb.port, "--rename-db", "shop:shop_lib", "-q"]);
    expect(rr.code, rr.stderr).toBe(0);
    const sql = <T>(q: string, p?: unknown[]) => sb.sql(q, p) as Promise<T[]>;
    expect(await checksums(sql, "shop_lib")).toEqual(await checksums(sql, "shop"));

    // every object and the manifest reached S3 unchanged
    const uploaded = (await s3Leftovers(s3)).objects.sort();
    const local = [...fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(dir, f)).isFile())].sort();
    expect(uploaded).toEqual(local.map((f) => `copies/${id[1]}/${f}`));
    for (const f of local) {
      const stored = fs.readFileSync(path.join(s3.dir, s3.bucket, `copies/${id[1]}/${f}._S3rver_object`));
      expect(stored.equals(fs.readFileSync(path.join(dir, f))), f).toBe(true);
    }
    expect(out.match(/^Uploaded s3:\/\/library-example\/copies\//gm)).toHaveLength(local.length);
  });
});
