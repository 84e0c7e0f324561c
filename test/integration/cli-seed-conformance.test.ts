// The seed document's commands as written, run through bin/dbbackup against real MariaDB sandboxes
// (and s3rver): the engine list names the seed's engines, --config goes before the subcommand,
// and a wrong output location is refused with what is wrong, before the server is touched.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_SCHEMA_SQL, sampleDataSql } from "../../cli/sample-data";
import { freePort, startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { lastLine, runCli } from "../fixtures/cli/run-cli";
import { checksums } from "../helpers/runs";
import { startS3, type TestS3 } from "../helpers/s3";

let src: Sandbox;
let s3: TestS3;
let work: string;
let awsEnv: Record<string, string>;
const conn = (sb: Sandbox = src) => ["--host", "127.0.0.1", "--port", String(sb.port), "--user", "root"];

beforeAll(async () => {
  src = await startSandbox();
  await src.sql(SAMPLE_SCHEMA_SQL);
  await src.sql(sampleDataSql(3000));
  // a `test` database with something in it, as a fresh server's own empty one will not have
  await src.sql("CREATE DATABASE test; CREATE TABLE test.notes (id INT PRIMARY KEY, body TEXT); INSERT INTO test.notes VALUES (1, 'kept'), (2, 'also kept')");
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

const sqlOf = (sb: Sandbox) => <T>(q: string, p?: unknown[]) => sb.sql(q, p) as Promise<T[]>;
const userDatabases = async (sb: Sandbox) =>
  (await sb.sql<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1")).map((r) => r.n);

/** A fresh server as a stock install leaves it: with its empty `test` database. */
async function freshServer(): Promise<Sandbox> {
  const sb = await startSandbox();
  await sb.sql("CREATE DATABASE test");
  return sb;
}

describe("the single SQL file replays onto a fresh server", () => {
  it("a dump of all databases loads with `zstd -dc f.sql.zst | mariadb` onto a server that has an empty test database", { timeout: 240_000 }, async () => {
    const file = path.join(work, "all.sql.zst");
    const r = await runCli(["physical-backup", ...conn(), "--output", file, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const dst = await freshServer();
    try {
      const replay = spawnSync("sh", ["-c", `zstd -dc '${file}' | mariadb -h 127.0.0.1 -P ${dst.port} -u root`], { encoding: "utf8" });
      expect(replay.stderr).toBe("");
      expect(replay.status).toBe(0);
      for (const db of ["shop", "test"]) expect(await checksums(sqlOf(dst), db)).toEqual(await checksums(sqlOf(src), db));
      expect(Object.keys(await checksums(sqlOf(dst), "shop")).length).toBeGreaterThan(2);
      // replayed a second time onto the server that now has everything, it replaces the tables: same state
      const again = spawnSync("sh", ["-c", `zstd -dc '${file}' | mariadb -h 127.0.0.1 -P ${dst.port} -u root`], { encoding: "utf8" });
      expect(again.stderr).toBe("");
      expect(again.status).toBe(0);
      for (const db of ["shop", "test"]) expect(await checksums(sqlOf(dst), db)).toEqual(await checksums(sqlOf(src), db));
      const [v] = await dst.sql<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'shop'");
      const [w] = await src.sql<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'shop'");
      expect(Number(v!.n)).toBe(Number(w!.n));

      // dbbackup restore: an empty `test` is no obstacle, a database with tables needs --drop-existing
      const dst2 = await freshServer();
      try {
        const ok = await runCli(["restore", "--from", file, ...conn(dst2), "-q"]);
        expect(ok.code, ok.stderr).toBe(0);
        for (const db of ["shop", "test"]) expect(await checksums(sqlOf(dst2), db)).toEqual(await checksums(sqlOf(src), db));
        const refused = await runCli(["restore", "--from", file, ...conn(dst2), "-q"]);
        expect(refused.code).toBe(1);
        expect(lastLine(refused.stderr)).toMatch(/already has database\(s\) shop, test with tables in them: replace them \(--drop-existing\)/);
        await dst2.sql("INSERT INTO test.notes VALUES (3, 'added on the target')");
        const replaced = await runCli(["restore", "--from", file, ...conn(dst2), "--drop-existing", "-q"]);
        expect(replaced.code, replaced.stderr).toBe(0);
        for (const db of ["shop", "test"]) expect(await checksums(sqlOf(dst2), db)).toEqual(await checksums(sqlOf(src), db));
      } finally {
        await dst2.stop();
      }
    } finally {
      await dst.stop();
    }
  });
});

describe("a damaged single SQL file", () => {
  it("truncated or with a flipped byte: says the file is corrupt or truncated, exit 1, and leaves no new database", { timeout: 240_000 }, async () => {
    const file = path.join(work, "shop.sql.zst");
    const r = await runCli(["physical-backup", ...conn(), "--databases", "shop", "--output", file, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const good = fs.readFileSync(file);
    const manifest = fs.readFileSync(`${file}.manifest.json`);
    const dst = await startSandbox();
    try {
      const before = await userDatabases(dst);
      const cases = [
        { name: "truncated", bytes: good.subarray(0, Math.floor(good.length * 0.6)) },
        { name: "flipped", bytes: Buffer.from(good).fill(good[good.length >> 1]! ^ 0xff, good.length >> 1, (good.length >> 1) + 1) },
      ];
      for (const c of cases) {
        // the same file name (the manifest names its object), damaged
        fs.mkdirSync(path.join(work, c.name));
        const damaged = path.join(work, c.name, "shop.sql.zst");
        fs.writeFileSync(damaged, c.bytes);
        fs.writeFileSync(`${damaged}.manifest.json`, manifest);
        // several tries: the cleanup must hold every time, not only when the replay had not yet created anything
        for (let i = 0; i < 2; i++) {
          const res = await runCli(["restore", "--from", damaged, ...conn(dst), "-q"]);
          expect(res.code, res.stderr).toBe(1);
          const line = lastLine(res.stderr);
          expect(line).not.toMatch(/exit null|no output/);
          if (c.name === "truncated") {
            // whichever notices first, the size check or zstd, names the file, both sizes and "truncated"
            expect(line).toContain(`stopped: ${damaged} is `);
            expect(line).toMatch(new RegExp(`${c.bytes.length} bytes but the manifest says ${good.length}.*truncated|truncated: it is ${c.bytes.length} bytes but the manifest says ${good.length}`));
          } else {
            // zstd's complaint, or the sha256 check when zstd decoded the damaged block without noticing
            const f = damaged.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
            expect(line).toMatch(new RegExp(`stopped: ${f} (is corrupted or truncated: zstd could not decompress it \\(.+\\), after reading \\d+ of ${good.length} stored bytes|fails its checksum \\(sha256 .*\\): the object is corrupted)`));
          }
          expect(await userDatabases(dst)).toEqual(before);
        }
      }
      // the good file restores, and equals the source
      const ok = await runCli(["restore", "--from", file, ...conn(dst), "-q"]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(await checksums(sqlOf(dst), "shop")).toEqual(await checksums(sqlOf(src), "shop"));
    } finally {
      await dst.stop();
    }
  });
});

describe("the seed's quick start: a .tar.gz on a server without snapshot or clone", () => {
  it("physical-backup --output db.tar.gz (and .tar.zst, .tar) writes the logical set as a tar that tar lists and restore brings back equal", { timeout: 300_000 }, async () => {
    const dst = await startSandbox();
    try {
      for (const [name, list] of [
        ["db.tar.gz", "tar -tzf"],
        ["db.tar.zst", "tar --zstd -tf"],
        ["db.tar", "tar -tf"],
      ] as const) {
        const file = path.join(work, name);
        const r = await runCli(["physical-backup", ...conn(), "--output", file]);
        expect(r.code, r.stderr).toBe(0);
        // which engine, and why
        expect(r.stderr).toMatch(/Engine: logical, as a tar archive: no engine that writes a tar archive can back up this server \(snapshot: .*; clone: .*\), so the logical backup set is written as a tar/);
        expect(r.stdout).toMatch(/\(logical, logical-tar\) written to /);
        const entries = spawnSync("sh", ["-c", `${list} '${file}'`], { encoding: "utf8" });
        expect(entries.status, entries.stderr).toBe(0);
        const names = entries.stdout.trim().split("\n");
        expect(names[names.length - 1]).toBe("manifest.json");
        const inner = JSON.parse(spawnSync("sh", ["-c", `${list.replace("-t", "-xO")} '${file}' manifest.json`], { encoding: "utf8" }).stdout);
        expect(inner.layout).toBe("logical-set");
        expect(names.slice(0, -1).sort()).toEqual(inner.objects.map((o: { path: string }) => o.path).sort());
        expect(inner.objects.length).toBeGreaterThan(3);
        const sidecar = JSON.parse(fs.readFileSync(`${file}.manifest.json`, "utf8"));
        expect(sidecar.layout).toBe("logical-tar");
        expect(sidecar.objects).toEqual([expect.objectContaining({ path: name, size: fs.statSync(file).size })]);
      }
      // restore --from db.tar.gz into a fresh server: equal to the source
      const res = await runCli(["restore", "--from", path.join(work, "db.tar.gz"), ...conn(dst), "-q"]);
      expect(res.code, res.stderr).toBe(0);
      for (const db of ["shop", "test"]) expect(await checksums(sqlOf(dst), db)).toEqual(await checksums(sqlOf(src), db));
      expect(Object.keys(await checksums(sqlOf(dst), "shop")).length).toBeGreaterThan(2);
      // verify checks the archive like any single-file backup
      const v = await runCli(["verify", path.join(work, "db.tar.zst")]);
      expect(v.code, v.stderr).toBe(0);
      // and verify --restore restores the set inside the tar into a throwaway server and compares it
      const vr = await runCli(["verify", path.join(work, "db.tar.gz"), "--restore"]);
      expect(vr.code, vr.stderr).toBe(0);
      expect(vr.stdout).toMatch(/verification by restore/);
      expect(vr.stdout).not.toMatch(/FAIL/i);
      // an explicit physical engine is still refused with its reason
      const snap = await runCli(["physical-backup", ...conn(), "--engine", "snapshot", "--output", path.join(work, "snap.tar.gz")]);
      expect(snap.code).toBe(1);
      expect(lastLine(snap.stderr)).toMatch(/^dbbackup: The snapshot engine cannot back up this server/);
    } finally {
      await dst.stop();
    }
  });

  it("stream-backup --target s3://bucket/path/db.tar.gz streams the tar to S3, and restore --from it is equal", { timeout: 300_000 }, async () => {
    const target = `s3://${s3.bucket}/path/db.tar.gz`;
    const s3flags = ["--s3-endpoint", s3.endpoint];
    const r = await runCli(["stream-backup", ...conn(), "--target", target, "--workers", "8", ...s3flags], awsEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Engine: logical, as a tar archive: no engine that writes a tar archive can back up this server/);
    // the object s3rver stored is the tar.gz itself
    const stored = path.join(work, "from-s3.tar.gz");
    fs.copyFileSync(path.join(s3.dir, s3.bucket, "path/db.tar.gz._S3rver_object"), stored);
    expect(fs.existsSync(path.join(s3.dir, s3.bucket, "path/db.tar.gz.manifest.json._S3rver_object"))).toBe(true);
    const entries = spawnSync("tar", ["-tzf", stored], { encoding: "utf8" });
    expect(entries.status, entries.stderr).toBe(0);
    expect(entries.stdout.trim().split("\n").pop()).toBe("manifest.json");
    const dst = await startSandbox();
    try {
      const res = await runCli(["restore", "--from", target, ...conn(dst), ...s3flags, "-q"], awsEnv);
      expect(res.code, res.stderr).toBe(0);
      for (const db of ["shop", "test"]) expect(await checksums(sqlOf(dst), db)).toEqual(await checksums(sqlOf(src), db));
    } finally {
      await dst.stop();
    }
  });
});
