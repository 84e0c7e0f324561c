// Physical engines from the command line: the seed's `physical-backup --output /backups/db.tar.gz`
// with auto-selection on a datadir on Btrfs (a gzip tar that `tar -tzf` reads, its manifest beside
// it), and mariabackup into an S3 set; both restored with `restore --datadir` into new datadirs
// that start as servers whose tables equal the source's.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { runCli } from "../fixtures/cli/run-cli";
import { checksums } from "../helpers/runs";
import { startS3, type TestS3 } from "../helpers/s3";
import { createBtrfsVolume, seedSample } from "../helpers/physical";

let vol: Awaited<ReturnType<typeof createBtrfsVolume>>;
let src: Sandbox;
let s3: TestS3;
let work: string;
let awsEnv: Record<string, string>;
const started: Sandbox[] = [];
const conn = () => ["--host", "127.0.0.1", "--port", String(src.port), "--user", "root"];
const sqlOf = (sb: Sandbox) => <T>(q: string, p?: unknown[]) => sb.sql(q, p) as Promise<T[]>;

beforeAll(async () => {
  vol = await createBtrfsVolume(2);
  src = await startSandbox({ dir: await vol.subvolume("mysql"), removeOnStop: false });
  await seedSample(src, 1500);
  s3 = await startS3("cli-physical");
  awsEnv = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-cli-phys-"));
}, 180_000);

afterAll(async () => {
  for (const sb of started) await sb.stop().catch(() => undefined);
  await src?.stop().catch(() => undefined);
  await s3?.stop().catch(() => undefined);
  await vol?.destroy();
  if (work) fs.rmSync(work, { recursive: true, force: true });
}, 120_000);

async function expectEqualToSource(sb: Sandbox) {
  for (const db of ["shop", "crm"]) expect(await checksums(sqlOf(sb), db), db).toEqual(await checksums(sqlOf(src), db));
}

async function startOn(datadir: string) {
  const sb = await startSandbox({ dir: fs.mkdtempSync(path.join(work, "run-")), datadir, binlog: false });
  started.push(sb);
  return sb;
}

describe("physical engines from the CLI", () => {
  it("engine list/select see the Btrfs datadir", async () => {
    const r = await runCli(["engine", "list", ...conn()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Filesystem:   btrfs");
    expect(r.stdout).toContain("Snapshot:     true");
    expect(r.stdout).toMatch(/^snapshot +available /m);
  });

  it("physical-backup --output db.tar.gz (auto) writes a gzip tar of the datadir, restorable with --datadir", async () => {
    const file = path.join(work, "backups", "db.tar.gz");
    const r = await runCli(["physical-backup", ...conn(), "--output", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Backup b\w+ \(snapshot, tar\) written to /);
    expect(r.stdout).toMatch(/engine reason: datadir on btrfs supports snapshots/);
    // exactly the archive and its manifest: nothing else in the directory
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(["db.tar.gz", "db.tar.gz.manifest.json"]);
    const listing = spawnSync("tar", ["-tzf", file], { encoding: "utf8", maxBuffer: 64 << 20 });
    expect(listing.status, listing.stderr).toBe(0);
    expect(listing.stdout).toMatch(/shop\/customers\.ibd$/m);
    expect(listing.stdout).toMatch(/shop\/legacy\.MYD$/m);
    const manifest = JSON.parse(fs.readFileSync(`${file}.manifest.json`, "utf8"));
    expect(manifest).toMatchObject({ engine: "snapshot", layout: "tar", compression: { algorithm: "gzip" } });
    expect(manifest.objects.map((o: { path: string }) => o.path)).toEqual(["db.tar.gz"]);
    expect((await runCli(["verify", file, "-q"])).code).toBe(0);

    const datadir = path.join(work, "restored-snap");
    const rr = await runCli(["restore", "--from", file, "--datadir", datadir]);
    expect(rr.code, rr.stderr).toBe(0);
    expect(rr.stdout).toContain(`datadir: ${datadir}`);
    await expectEqualToSource(await startOn(datadir));
  });

  it("mariabackup into an S3 set (stream-backup), restored into a new datadir that starts equal", async () => {
    const url = `s3://${s3.bucket}/phys/mb/`;
    const r = await runCli(["stream-backup", ...conn(), "--engine", "mariabackup", "--target", url, "--workers", "4", "--part-size", "5M", "--s3-endpoint", s3.endpoint, "-q"], awsEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(mariabackup, xbstream\) written to s3:\/\/cli-physical\/phys\/mb\//);
    const datadir = path.join(work, "restored-mb");
    const rr = await runCli(["restore", "--from", url, "--s3-endpoint", s3.endpoint, "--datadir", datadir, "-q"], awsEnv);
    expect(rr.code, rr.stderr).toBe(0);
    await expectEqualToSource(await startOn(datadir));
  });

  it("a physical backup is restored whole: renames and in-place without a start command are refused", async () => {
    const file = path.join(work, "backups", "db.tar.gz");
    const rename = await runCli(["restore", "--from", file, "--datadir", path.join(work, "x"), "--rename-db", "shop:s2"]);
    expect(rename.code).toBe(1);
    expect(rename.stderr).toMatch(/physical copy of a whole server \(snapshot\): it restores whole, without --rename-db or --databases/);
    const nowhere = await runCli(["restore", "--from", file, ...conn()]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/Restore it into a new directory with --datadir DIR .* or replace the datadir .* with --in-place --start-command/);
    const inPlace = await runCli(["restore", "--from", file, ...conn(), "--in-place"]);
    expect(inPlace.code).toBe(2);
    expect(inPlace.stderr).toMatch(/--in-place needs --start-command/);
    expect(fs.existsSync(path.join(work, "x"))).toBe(false);
  });
});
