// The dbbackup command as a user runs it (bin/dbbackup as a child process) against a real MariaDB
// and a real S3-protocol server: backups in every output form, restores that equal the source,
// verification that names a damaged object or a wrong key, and failures with one clear line.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyId, parseKey } from "../../server/artifact/encryption";
import { freePort, startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { SAMPLE_SCHEMA_SQL, sampleDataSql } from "../../cli/sample-data";
import { lastLine, runCli, startCli } from "../fixtures/cli/run-cli";
import { recordS3 } from "../fixtures/cli/s3-recorder";
import { checksums } from "../helpers/runs";
import { startS3, type TestS3 } from "../helpers/s3";

let src: Sandbox;
let s3: TestS3;
let work: string;
let awsEnv: Record<string, string>;
const sqlOf = (sb: Sandbox) => <T>(q: string, p?: unknown[]) => sb.sql(q, p) as Promise<T[]>;
const conn = () => ["--host", "127.0.0.1", "--port", String(src.port), "--user", "root"];

beforeAll(async () => {
  // stopped in afterAll: a sandbox started inside a hook must be stopped explicitly
  src = await startSandbox();
  await src.sql(SAMPLE_SCHEMA_SQL);
  await src.sql(sampleDataSql(3000));
  // ~12 MB of incompressible rows: S3 objects of several 5 MiB parts
  await src.sql("CREATE DATABASE media; CREATE TABLE media.blobs (id INT PRIMARY KEY, data LONGBLOB)");
  for (let i = 0; i < 12; i++) await src.sql("INSERT INTO media.blobs VALUES (?, ?)", [i, crypto.randomBytes(1 << 20)]);
  s3 = await startS3("cli-backups");
  awsEnv = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-cli-"));
}, 180_000);

afterAll(async () => {
  await src?.stop();
  await s3?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function dropDatabase(name: string) {
  await src.sql(`DROP DATABASE IF EXISTS \`${name}\``);
}

describe("engine list / select", () => {
  it("prints the seed's Database Information and Recommendation blocks with live facts", async () => {
    const [{ v }] = await src.sql<{ v: string }>("SELECT VERSION() AS v");
    const r = await runCli(["engine", "select", ...conn()]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Database Information:");
    expect(r.stdout).toContain(`Version:      ${v!.split("-")[0]}`);
    expect(r.stdout).toContain("Flavor:       MariaDB");
    expect(r.stdout).toContain("Binlog:       true");
    expect(r.stdout).toContain("GTID:         true");
    expect(r.stdout).toContain("Clone Plugin: false");
    expect(r.stdout).toMatch(/Data Size:    \d+\.\d\d GB/);
    expect(r.stdout).toMatch(/Recommendation:\n-{50}\nEngine:       logical\nReason:       \d+MB database \(under 10GB\)/);
    expect(r.stdout).not.toContain("Engines:");
  });

  it("lists every engine with its availability on this host and why not", async () => {
    const r = await runCli(["engine", "list", ...conn(), "--destination", "s3"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^logical +available /m);
    expect(r.stdout).toMatch(/^mariabackup +available /m);
    expect(r.stdout).toMatch(/^clone +unavailable .*\n +- MariaDB has no clone plugin/m);
    expect(r.stdout).toMatch(/^snapshot +unavailable .*\n +- the datadir .* cannot be snapshotted/m);
    expect(r.stdout).toMatch(/^xtrabackup +unavailable /m);
    const j = JSON.parse((await runCli(["engine", "list", ...conn(), "--json"])).stdout);
    expect(j.info.flavor).toBe("MariaDB");
    expect(j.engines.map((e: { name: string }) => e.name).sort()).toEqual(["clone", "logical", "mariabackup", "snapshot", "xtrabackup"]);
    expect(j.seedNames.map((e: { name: string }) => e.name)).toEqual(["mysqldump", "streaming"]);
  });
});

describe("physical-backup", () => {
  it("writes a .sql.zst that `zstd -dc | mariadb` replays into an equal copy", async () => {
    const file = path.join(work, "shop.sql.zst");
    const r = await runCli(["physical-backup", ...conn(), "--databases", "shop", "--output", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Backup b\w+ \(logical, sql-file\) written to /);
    expect(fs.existsSync(`${file}.manifest.json`)).toBe(true);
    const target = await startSandbox();
    try {
      const replay = spawnSync("bash", ["-o", "pipefail", "-c", `zstd -dc ${file} | mariadb -h127.0.0.1 -P${target.port} -uroot`]);
      expect(replay.status, replay.stderr.toString()).toBe(0);
      expect(await checksums(sqlOf(target), "shop")).toEqual(await checksums(sqlOf(src), "shop"));
      // the view, trigger and procedure came along
      const objs = await target.sql<{ n: string }>("SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME) AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='shop' UNION ALL SELECT CONCAT('TRIGGER ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='shop' UNION ALL SELECT CONCAT('VIEW ', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA='shop' ORDER BY 1");
      expect(objs.map((o) => o.n)).toEqual(["PROCEDURE restock", "TRIGGER orders_paid", "VIEW order_totals"]);
    } finally {
      await target.stop();
    }
    // and the file verifies with its sidecar manifest
    const v = await runCli(["verify", file]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/shop\.sql\.zst +[\d.]+ KiB +[\d.]+ KiB +ok/);
  });

  it("writes a backup set to a directory that restore --rename-db brings back equal", async () => {
    const dir = path.join(work, "set-local");
    const r = await runCli(["physical-backup", ...conn(), "--output", dir, "--databases", "shop,media", "--parallel", "3", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ engine: "logical", layout: "logical-set", location: dir + "/", manifest: path.join(dir, "manifest.json") });
    const counts = [...Object.values(await checksums(sqlOf(src), "shop")), ...Object.values(await checksums(sqlOf(src), "media"))].map((v) => Number(v.split("/")[1]));
    expect(out.rows).toBe(counts.reduce((a, b) => a + b, 0));
    const rr = await runCli(["restore", "--from", dir, ...conn(), "--rename-db", "shop:shop_copy", "--rename-db", "media:media_copy", "--parallel", "2"]);
    expect(rr.code, rr.stderr).toBe(0);
    expect(rr.stdout).toMatch(/databases: (shop_copy, media_copy|media_copy, shop_copy)\n/);
    expect(await checksums(sqlOf(src), "shop_copy")).toEqual(await checksums(sqlOf(src), "shop"));
    expect(await checksums(sqlOf(src), "media_copy")).toEqual(await checksums(sqlOf(src), "media"));
    // restoring over existing databases is refused unless asked for
    const again = await runCli(["restore", "--from", dir, ...conn(), "--rename-db", "shop:shop_copy", "--databases", "shop"]);
    expect(again.code).toBe(1);
    expect(lastLine(again.stderr)).toMatch(/^dbbackup: 127\.0\.0\.1:\d+ already has database\(s\) shop_copy: .*--drop-existing/);
    const replace = await runCli(["restore", "--from", dir, ...conn(), "--rename-db", "shop:shop_copy", "--databases", "shop", "--drop-existing", "-q"]);
    expect(replace.code, replace.stderr).toBe(0);
    expect(await checksums(sqlOf(src), "shop_copy")).toEqual(await checksums(sqlOf(src), "shop"));
    await dropDatabase("shop_copy");
    await dropDatabase("media_copy");
  });

  it("writes to s3:// and restores from it equal", async () => {
    const url = `s3://${s3.bucket}/sets/shop/`;
    const r = await runCli(["physical-backup", ...conn(), "--databases", "shop", "--output", url, "--s3-endpoint", s3.endpoint, "-q"], awsEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const rr = await runCli(["restore", "--from", url, "--s3-endpoint", s3.endpoint, ...conn(), "--rename-db", "shop:shop_s3", "-q"], awsEnv);
    expect(rr.code, rr.stderr).toBe(0);
    expect(await checksums(sqlOf(src), "shop_s3")).toEqual(await checksums(sqlOf(src), "shop"));
    await dropDatabase("shop_s3");
  });

  it("encrypts client-side; verify and restore name a wrong key", async () => {
    const keyFile = path.join(work, "key.hex");
    fs.writeFileSync(keyFile, crypto.randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
    const wrongFile = path.join(work, "wrong.txt");
    fs.writeFileSync(wrongFile, "a passphrase that is not the key\n");
    const dir = path.join(work, "set-enc");
    const r = await runCli(["physical-backup", ...conn(), "--databases", "shop", "--output", dir, "--encryption-key-file", keyFile, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const right = keyId(parseKey(fs.readFileSync(keyFile, "utf8")));
    const wrong = keyId(parseKey(fs.readFileSync(wrongFile, "utf8")));
    expect(JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")).encryption).toEqual({ algorithm: "AES-256-GCM-chunked", keyId: right });
    // nothing readable in the objects without the key
    const obj = fs.readdirSync(dir, { recursive: true }).map(String).find((f) => f.endsWith(".zst.enc"))!;
    expect(fs.readFileSync(path.join(dir, obj)).subarray(0, 8).toString()).toBe("DBBKENC1");

    const v = await runCli(["verify", dir, "--encryption-key-file", wrongFile]);
    expect(v.code).toBe(1);
    expect(lastLine(v.stderr)).toBe(`dbbackup: ${dir} was encrypted with key ${right}, but the key given is ${wrong}. Use the key the backup was made with.`);
    const none = await runCli(["verify", dir]);
    expect(none.code).toBe(1);
    expect(lastLine(none.stderr)).toMatch(new RegExp(`is encrypted \\(key ${right}\\).*--encryption-key-file`));
    const rr = await runCli(["restore", "--from", dir, ...conn(), "--rename-db", "shop:shop_enc", "--encryption-key-file", wrongFile]);
    expect(rr.code).toBe(1);
    expect(lastLine(rr.stderr)).toContain(`was encrypted with key ${right}, but the key given is ${wrong}`);
    expect((await src.sql("SHOW DATABASES LIKE 'shop_enc'")).length).toBe(0);

    const ok = await runCli(["verify", dir, "--encryption-key-file", keyFile]);
    expect(ok.code, ok.stderr).toBe(0);
    const back = await runCli(["restore", "--from", dir, ...conn(), "--rename-db", "shop:shop_enc", "--encryption-key-file", keyFile, "-q"]);
    expect(back.code, back.stderr).toBe(0);
    expect(await checksums(sqlOf(src), "shop_enc")).toEqual(await checksums(sqlOf(src), "shop"));
    await dropDatabase("shop_enc");
  });
});

describe("stream-backup", () => {
  it("streams to S3 by parallel multipart upload with server-side encryption, then verifies and restores", async () => {
    const url = `s3://${s3.bucket}/stream/media/`;
    const rec = await recordS3(s3.endpoint);
    try {
      const r = await runCli(
        ["stream-backup", ...conn(), "--databases", "media", "--target", url, "--workers", "2", "--part-size", "5242880", "--encryption", "AES256", "--s3-endpoint", rec.endpoint, "--json"],
        awsEnv,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).location).toBe(url);
      // the ~12 MB table went up as one multipart upload of 5 MiB parts, at most 2 in flight
      const manifest = JSON.parse(fs.readFileSync(path.join(s3.dir, s3.bucket, "stream/media/manifest.json._S3rver_object"), "utf8"));
      const big = manifest.objects.reduce((a: { size: number }, b: { size: number }) => (b.size > a.size ? b : a));
      expect(big.size).toBeGreaterThan(10 << 20);
      const parts = rec.requests.filter((q) => q.method === "PUT" && q.query.has("partNumber") && q.path.endsWith(big.path));
      expect(parts.map((q) => q.contentLength)).toEqual([5242880, 5242880, big.size - 2 * 5242880]);
      expect(rec.maxPartsInFlight).toBeGreaterThanOrEqual(1);
      expect(rec.maxPartsInFlight).toBeLessThanOrEqual(2);
      // every object was created with server-side encryption requested
      const creates = rec.requests.filter((q) => (q.method === "PUT" && !q.query.has("partNumber")) || (q.method === "POST" && q.query.has("uploads")));
      expect(creates.length).toBe(manifest.objects.length + 1);
      expect(new Set(creates.map((q) => q.sse))).toEqual(new Set(["AES256"]));
      // no local staging: nothing was written under the working directory
      expect(fs.readdirSync(work).filter((f) => f.startsWith("stream"))).toEqual([]);
    } finally {
      await rec.close();
    }

    const v = await runCli(["verify", url, "--s3-endpoint", s3.endpoint], awsEnv);
    expect(v.code, v.stderr).toBe(0);
    const rr = await runCli(["restore", "--from", url, "--s3-endpoint", s3.endpoint, ...conn(), "--rename-db", "media:media_s3", "-q"], awsEnv);
    expect(rr.code, rr.stderr).toBe(0);
    expect(await checksums(sqlOf(src), "media_s3")).toEqual(await checksums(sqlOf(src), "media"));
    await dropDatabase("media_s3");
  });

  it("streams a single SQL object and refuses what S3 cannot do", async () => {
    const r = await runCli(["stream-backup", ...conn(), "--databases", "shop", "--target", `s3://${s3.bucket}/files/shop.sql.gz`, "--workers", "8", "--s3-endpoint", s3.endpoint, "-q"], awsEnv);
    expect(r.code, r.stderr).toBe(0);
    const v = await runCli(["verify", `s3://${s3.bucket}/files/shop.sql.gz`, "--s3-endpoint", s3.endpoint, "-q"], awsEnv);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/shop\.sql\.gz .* ok/);
    const small = await runCli(["stream-backup", ...conn(), "--target", `s3://${s3.bucket}/x/`, "--part-size", "1M"], awsEnv);
    expect(small.code).toBe(2);
    expect(lastLine(small.stderr)).toBe("dbbackup: --part-size 1048576: S3 parts are at least 5242880 bytes (5 MiB)");
    const local = await runCli(["stream-backup", ...conn(), "--target", path.join(work, "nope")]);
    expect(local.code).toBe(2);
    expect(lastLine(local.stderr)).toMatch(/stream-backup writes to S3/);
    const sse = await runCli(["stream-backup", ...conn(), "--target", `s3://${s3.bucket}/x/`, "--encryption", "rot13"], awsEnv);
    expect(sse.code).toBe(2);
    expect(lastLine(sse.stderr)).toMatch(/--encryption rot13: S3 server-side encryption is AES256 or aws:kms/);
  });
});

describe("verify", () => {
  it("passes a good set, then names the one object with a flipped byte and exits non-zero", async () => {
    const dir = path.join(work, "set-verify");
    expect((await runCli(["physical-backup", ...conn(), "--databases", "shop", "--output", dir, "-q"])).code).toBe(0);
    const good = await runCli(["verify", dir]);
    expect(good.code, good.stderr).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
    const n = manifest.objects.length;
    expect(good.stdout).toContain(`${n} of ${n} objects ok`);
    expect(good.stdout.split("\n").filter((l) => / ok$/.test(l))).toHaveLength(n);

    const victim = manifest.objects.find((o: { role: string; size: number }) => o.role === "data" && o.size > 1000).path as string;
    const f = path.join(dir, victim);
    const bytes = fs.readFileSync(f);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.writeFileSync(f, bytes);
    const bad = await runCli(["verify", dir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`${n - 1} of ${n} objects ok`);
    expect(bad.stdout).toMatch(new RegExp(`${victim.replace(/\./g, "\\.")} .* BAD: `));
    expect(bad.stderr.trim().split("\n").filter((l) => l.startsWith("dbbackup:"))).toHaveLength(1);
    expect(lastLine(bad.stderr)).toMatch(new RegExp(`^dbbackup: verify failed: 1 of ${n} objects bad in ${dir}/?: ${victim.replace(/\./g, "\\.")} \\(`));
    const json = JSON.parse((await runCli(["verify", dir, "--json"])).stdout);
    expect(json.ok).toBe(false);
    expect(json.objects.filter((o: { ok: boolean }) => !o.ok).map((o: { path: string }) => o.path)).toEqual([victim]);
  });

  it("--restore restores into a throwaway server and compares schema, rows and fingerprints", async () => {
    const dir = path.join(work, "set-local");
    const r = await runCli(["verify", dir, "--restore"]);
    expect(r.code, r.stderr).toBe(0);
    for (const check of ["objects", "restore", "schema objects", "row counts", "fingerprints"]) expect(r.stdout).toMatch(new RegExp(`^${check} +ok `, "m"));
    expect(r.stdout).toMatch(/^fingerprints +ok .* 6 table fingerprints equal the backup's$/m);
    expect(r.stdout).toMatch(/^Passed in /m);
    // the damaged set fails at its objects and is not restored
    const bad = await runCli(["verify", path.join(work, "set-verify"), "--restore", "--json"]);
    expect(bad.code).toBe(1);
    const j = JSON.parse(bad.stdout);
    expect(j.ok).toBe(false);
    expect(j.checks.map((c: { name: string; ok: boolean }) => `${c.name}:${c.ok}`)).toEqual(["objects:false"]);
    expect(lastLine(bad.stderr)).toMatch(/^dbbackup: verify --restore failed for .*: objects: 1 of \d+ objects fail: /);
  });
});

describe("configuration file", () => {
  it("reads connection, output and backup settings from --config; flags override them", async () => {
    const cfgOut = path.join(work, "from-config.sql.gz");
    const flagOut = path.join(work, "from-flag.sql.zst");
    const cfg = path.join(work, "config.yaml");
    fs.writeFileSync(cfg, `connection:\n  host: 127.0.0.1\n  port: ${src.port}\n  user: root\noutput: ${cfgOut}\nbackup:\n  engine: mysqldump\n  databases: [shop]\n  parallel: 2\n`);
    const a = await runCli(["physical-backup", "--config", cfg, "-q"]);
    expect(a.code, a.stderr).toBe(0);
    expect(fs.existsSync(cfgOut)).toBe(true);
    const m = JSON.parse(fs.readFileSync(`${cfgOut}.manifest.json`, "utf8"));
    expect(m.databases.map((d: { name: string }) => d.name)).toEqual(["shop"]);
    expect(m.compression.algorithm).toBe("gzip");
    // --output and --databases win over the file
    const b = await runCli(["physical-backup", "--config", cfg, "--output", flagOut, "--databases", "media", "-q"]);
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(`${flagOut}.manifest.json`, "utf8")).databases.map((d: { name: string }) => d.name)).toEqual(["media"]);
    // a wrong port on the command line wins too (and fails to connect)
    const port = await freePort();
    const c = await runCli(["physical-backup", "--config", cfg, "--port", port, "--output", path.join(work, "never.sql")]);
    expect(c.code).toBe(1);
    expect(lastLine(c.stderr)).toBe(`dbbackup: Connection refused by 127.0.0.1:${port}: nothing is listening there. Check the port, that the server is running, and its bind-address.`);
  });

  it("rejects a bad file with the key path, before doing anything (exit 2)", async () => {
    const cfg = path.join(work, "bad.yaml");
    fs.writeFileSync(cfg, `backup:\n  engine: auto\n  snapshot:\n    lvm:\n      snapshot_size: "10X"\n`);
    const r = await runCli(["physical-backup", "--config", cfg, ...conn(), "--output", path.join(work, "never2.sql")]);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toBe(`dbbackup: ${cfg}: backup.snapshot.lvm.snapshot_size: "10X" is not a size like 10G (line 5)`);
    fs.writeFileSync(cfg, `backup:\n  engine: auto\n  compresion: zstd\n`);
    const u = await runCli(["engine", "select", "--config", cfg, ...conn()]);
    expect(u.code).toBe(2);
    expect(lastLine(u.stderr)).toBe(`dbbackup: ${cfg}: backup.compresion: unknown key (did you mean compression?) (line 3)`);
    expect(fs.existsSync(path.join(work, "never2.sql"))).toBe(false);
  });
});

describe("bad input", () => {
  it("an unknown database fails with a clear line, exit 1, and leaves nothing at the output", async () => {
    for (const out of [path.join(work, "missing-db"), path.join(work, "missing-db.sql.zst"), path.join(work, "deeper", "missing-db")]) {
      const r = await runCli(["physical-backup", ...conn(), "--databases", "shop,nosuchdb", "--output", out]);
      expect(r.code).toBe(1);
      expect(lastLine(r.stderr)).toMatch(/^dbbackup: The backup filter names something that 127\.0\.0\.1:\d+ does not have: .*nosuchdb/);
      expect(fs.existsSync(out)).toBe(false);
      expect(fs.existsSync(`${out}.manifest.json`)).toBe(false);
    }
    expect(fs.readdirSync(work).filter((f) => f.includes("partial"))).toEqual([]);
    const r = await runCli(["physical-backup", ...conn(), "--databases", "nosuchdb", "--output", `s3://${s3.bucket}/missing/`, "--s3-endpoint", s3.endpoint], awsEnv);
    expect(r.code).toBe(1);
    expect(fs.existsSync(path.join(s3.dir, s3.bucket, "missing"))).toBe(false);
  });

  it("a missing password file, an unreachable host, an unknown engine, no output: each says what to do", async () => {
    const pw = await runCli(["engine", "list", ...conn(), "--password-file", path.join(work, "no-such-password")]);
    expect(pw.code).toBe(2);
    expect(lastLine(pw.stderr)).toBe(`dbbackup: --password-file ${path.join(work, "no-such-password")}: no such file. Put the password in a file readable only by you (chmod 600), or set MYSQL_PWD.`);

    const port = await freePort();
    const down = await runCli(["physical-backup", "--port", port, "--output", path.join(work, "down")]);
    expect(down.code).toBe(1);
    expect(lastLine(down.stderr)).toMatch(new RegExp(`^dbbackup: Connection refused by 127\\.0\\.0\\.1:${port}: nothing is listening there\\.`));
    expect(fs.existsSync(path.join(work, "down"))).toBe(false);
    const dns = await runCli(["engine", "select", "--host", "no-such-host.invalid"]);
    expect(dns.code).toBe(1);
    expect(lastLine(dns.stderr)).toMatch(/^dbbackup: DNS: the host name "no-such-host\.invalid" does not resolve/);

    const eng = await runCli(["physical-backup", ...conn(), "--engine", "pg_dump", "--output", path.join(work, "e")]);
    expect(eng.code).toBe(2);
    expect(lastLine(eng.stderr)).toBe("dbbackup: --engine pg_dump: unknown engine; use one of auto, mysqldump, logical, clone, snapshot, mariabackup, xtrabackup");

    const noOut = await runCli(["physical-backup", ...conn()]);
    expect(noOut.code).toBe(2);
    expect(lastLine(noOut.stderr)).toMatch(/^dbbackup: physical-backup needs --output: file\.sql\.zst, file\.tar\.gz, a directory, or s3:\/\/bucket\/prefix\//);

    const opt = await runCli(["physical-backup", "--frobnicate"]);
    expect(opt.code).toBe(2);
    expect(lastLine(opt.stderr)).toBe("dbbackup: unknown option '--frobnicate' (see dbbackup --help)");

    const clone = await runCli(["physical-backup", ...conn(), "--engine", "clone", "--output", path.join(work, "clone.tar.gz")]);
    expect(clone.code).toBe(1);
    expect(lastLine(clone.stderr)).toMatch(/^dbbackup: The clone engine cannot back up this server: MariaDB has no clone plugin/);
    expect(fs.existsSync(path.join(work, "clone.tar.gz"))).toBe(false);

    const mismatch = await runCli(["physical-backup", ...conn(), "--engine", "mariabackup", "--output", path.join(work, "x.sql.zst")]);
    expect(mismatch.code).toBe(2);
    expect(lastLine(mismatch.stderr)).toMatch(/x\.sql\.zst is a SQL file, which only the logical engine writes; the mariabackup engine writes an xbstream archive/);
  });

  it("never writes over an existing backup", async () => {
    const file = path.join(work, "shop.sql.zst");
    const before = fs.readFileSync(file);
    const r = await runCli(["physical-backup", ...conn(), "--output", file]);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toBe(`dbbackup: ${file} already exists: choose another name (backups are never overwritten)`);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    const dir = path.join(work, "set-local");
    const d = await runCli(["physical-backup", ...conn(), "--output", dir]);
    expect(d.code).toBe(2);
    expect(lastLine(d.stderr)).toMatch(/is not empty: a backup set needs a directory of its own/);
  });

  it("Ctrl-C stops a backup cleanly and removes what it wrote (exit 130)", async () => {
    const dir = path.join(work, "interrupted");
    const run = startCli(["physical-backup", ...conn(), "--databases", "media", "--output", dir, "--compression", "gzip", "--level", "9", "--parallel", "1"]);
    const t0 = Date.now();
    while (!/Consistent snapshot/.test(run.stderr()) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(lastLine(r.stderr)).toBe(`dbbackup: interrupted by SIGINT: the partial backup at ${dir}/ was removed`);
    expect(fs.existsSync(dir)).toBe(false);
  });
});

describe("status", () => {
  it("summarises a backup's manifest with --from", async () => {
    const r = await runCli(["status", "--from", path.join(work, "set-local")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Backup b\w+ at /);
    expect(r.stdout).toMatch(/engine +logical \(logical-set\)/);
    expect(r.stdout).toMatch(/binlog +binlog\.\d+:\d+, GTID \d+-\d+-\d+/);
    expect(r.stdout).toMatch(/^ +shop: 5 tables, [\d,]+ rows, 1 views, 1 routines, 1 triggers$/m);
    const enc = await runCli(["status", "--from", path.join(work, "set-enc"), "--json"]);
    expect(enc.code, enc.stderr).toBe(0);
    expect(JSON.parse(enc.stdout).encryption.keyId).toMatch(/^[0-9a-f]{16}$/);
  });
});

