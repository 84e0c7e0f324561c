// The mariabackup engine against a real MariaDB with a write workload: xbstream streamed into a
// backup set (zstd + encryption), restored with mbstream + --prepare into a new sandbox and
// compared table by table with the source at the backup's coordinates.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import mysql from "mysql2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { createMariabackupEngine } from "../../server/engines/mariabackup/mariabackup-engine";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { restorePhysicalToSandboxDetailed } from "../../server/restore/physical/restore-to-sandbox";
import { LocalStore } from "../../server/storage/local-store";
import { collect } from "../../server/storage/object-store";
import { S3Store } from "../../server/storage/s3-store";
import { startS3, type TestS3 } from "../helpers/s3";
import { expectMatchesSourceAtCoordinates, factsOf, gtidSeq, resetWorkload, runBackup, seedSample, startWriter, testContext } from "../helpers/physical";

const engine = createMariabackupEngine();
const key = crypto.randomBytes(32);
const PASSWORD = `Pa"ss 'w0rd\\ ${crypto.randomBytes(4).toString("hex")}`;
let source: Sandbox;
let s3: TestS3;
let work: string;
const started: Sandbox[] = [];

beforeAll(async () => {
  source = await startSandbox();
  await seedSample(source, 3000);
  // a backup account with a password full of quoting hazards: it must reach the tool intact, and never via argv
  await source.sql(`CREATE USER 'bk'@'127.0.0.1' IDENTIFIED BY ${mysql.escape(PASSWORD)}; GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SELECT, SHOW VIEW ON *.* TO 'bk'@'127.0.0.1'`);
  s3 = await startS3();
  work = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-phys-mb-"));
}, 180_000);

afterAll(async () => {
  for (const sb of started) await sb.stop().catch(() => undefined);
  await source?.stop().catch(() => undefined);
  await s3?.stop().catch(() => undefined);
  if (work) await fs.rm(work, { recursive: true, force: true });
}, 120_000);

const bk = () => ({ ...source.address(), user: "bk", password: PASSWORD });

/**
 * Command lines of running mariadb-backup processes this engine started against this file's source
 * server. Other test files back up their own servers with the same engine at the same time, so the
 * source's datadir is what tells ours apart.
 */
async function toolProcesses(): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = (await fs.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (argv.some((a) => a.startsWith("--datadir=") && path.resolve(a.slice("--datadir=".length)) === path.resolve(source.datadir)) && argv.some((a) => a.startsWith("--defaults-file=") && a.includes("dbbackup-xb-"))) out.push(argv.join(" ").trim());
  }
  return out;
}
/** The engine's temporary directories (where the tool's defaults file was) that still exist. */
async function leftTempDirs(cmdlines: string[]): Promise<string[]> {
  const dirs = new Set(cmdlines.map((c) => /--defaults-file=(\S+)/.exec(c)?.[1]).filter((f): f is string => !!f).map((f) => path.dirname(f)));
  const left: string[] = [];
  for (const d of dirs) if (await fs.stat(d).then(() => true, () => false)) left.push(d);
  return left;
}
/** Polls the process table while a backup runs, collecting the tool's command lines. */
function watchToolProcesses() {
  const seen = new Set<string>();
  const modes = new Set<number>();
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      for (const c of await toolProcesses()) {
        seen.add(c);
        const file = /--defaults-file=(\S+)/.exec(c)?.[1];
        if (file) await fs.stat(file).then((st) => modes.add(st.mode & 0o777), () => undefined);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    seen,
    modes,
    async stop() {
      stop = true;
      await loop;
      return [...seen];
    },
  };
}

describe("mariabackup engine", () => {
  it("streams a hot backup of a busy server into the set and restores it (mbstream + prepare) consistent at its coordinates", async () => {
    const facts = await factsOf(source);
    await source.sql("INSERT INTO shop.markers (label, at) VALUES ('before mb', NOW(6))");
    const base = gtidSeq((await source.sql<{ p: string }>("SELECT @@gtid_binlog_pos p"))[0]!.p);
    const writer = startWriter(source);
    await new Promise((r) => setTimeout(r, 400));
    const watch = watchToolProcesses();
    const ctx = testContext();
    const store = new LocalStore(path.join(work, "local"));
    const { manifest, ms } = await runBackup({ engine, ctx, sb: source, server: bk(), facts, store, prefix: "source/b-mb1/", encoding: { compression: "zstd", key } });
    const cmdlines = await watch.stop();
    await new Promise((r) => setTimeout(r, 200));
    const last = await writer.stop();

    expect(manifest.engine).toBe("mariabackup");
    expect(manifest.layout).toBe("xbstream");
    expect(manifest.objects.map((o) => o.path)).toEqual(["backup.xbstream.zst.enc"]);
    expect(manifest.details.tool).toBe("mariadb-backup");
    expect(manifest.details.lockMethod).toBe("backup-stage");
    expect(manifest.lockMs).toBeGreaterThan(0);
    expect(manifest.lockMs).toBeLessThan(5000);
    expect(manifest.coordinates?.file).toMatch(/^binlog\.\d{6}$/);
    expect(gtidSeq(manifest.coordinates!.gtid) - base).toBeLessThan(last);
    // the password reached the tool through a 0600 file, never through its command line
    expect(cmdlines.length).toBeGreaterThan(0);
    expect(cmdlines.join("\n")).not.toContain(PASSWORD.slice(0, 6));
    expect([...watch.modes]).toEqual([0o600]);
    expect(await leftTempDirs(cmdlines)).toEqual([]);

    const reader = await BackupSetReader.open(store, "source/b-mb1/", key);
    const t0 = Date.now();
    const { sandbox: restored, restore, startMs } = await restorePhysicalToSandboxDetailed(testContext(), { reader, dir: path.join(work, "r1") });
    started.push(restored);
    const restoreMs = Date.now() - t0;
    expect(restore.prepareMs).toBeGreaterThan(0);
    await expectMatchesSourceAtCoordinates({ source, restored, manifest, gtidBefore: base, marker: "before mb", binlogsRestored: false });
    console.log(
      `mariabackup→local: backup ${ms} ms, lock ${manifest.lockMs} ms (DDL blocked ${manifest.details.ddlBlockedMs} ms), ${manifest.totals.rawBytes} raw → ${manifest.totals.storedBytes} stored; restore ${restoreMs} ms (extract ${restore.extractMs} ms, prepare ${restore.prepareMs} ms, start ${startMs} ms)`,
    );
    await resetWorkload(source);
    await restored.stop();
  });

  it("streams to S3 by multipart upload and restores from there", async () => {
    const store = new S3Store({ endpoint: s3.endpoint, bucket: s3.bucket, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, partSize: 5 * 1024 * 1024, workers: 3 });
    const base = gtidSeq((await source.sql<{ p: string }>("SELECT @@gtid_binlog_pos p"))[0]!.p);
    await source.sql("INSERT INTO shop.markers (label, at) VALUES ('before mb s3', NOW(6))");
    const writer = startWriter(source);
    const { manifest } = await runBackup({ engine, ctx: testContext(), sb: source, store, prefix: "source/b-mbs3/", encoding: { compression: "zstd", key } });
    await writer.stop();
    expect(manifest.totals.storedBytes).toBeGreaterThan(5 * 1024 * 1024);
    const reader = await BackupSetReader.open(store, "source/b-mbs3/", key);
    const { sandbox: restored } = await restorePhysicalToSandboxDetailed(testContext(), { reader, dir: path.join(work, "r2") });
    started.push(restored);
    // the marker commit is one more GTID than `base`
    await expectMatchesSourceAtCoordinates({ source, restored, manifest, gtidBefore: base + 1, marker: "before mb s3", binlogsRestored: false });
    await resetWorkload(source);
    await restored.stop();
  });

  it("cancellation kills mariadb-backup and removes its temporary directory; the aborted set leaves nothing", async () => {
    const store = new LocalStore(path.join(work, "cancel"));
    const watch = watchToolProcesses();
    const ctx = testContext((p, c) => {
      if ((p.bytesDone ?? 0) > 8 * 1024 * 1024 && !c.signal.aborted) c.controller.abort(new Error("cancelled by the test"));
    });
    const err = await runBackup({ engine, ctx, sb: source, store, prefix: "source/b-mbcancel/", encoding: { compression: "zstd", key: null } }).catch((e) => e);
    const seen = await watch.stop();
    expect(seen.length).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(Error);
    expect(String(err.message)).toMatch(/cancelled by the test/);
    expect(await toolProcesses()).toEqual([]);
    expect(await leftTempDirs(seen)).toEqual([]);
    await err.set.abort(err);
    expect(await collect(store.list("source/b-mbcancel/"))).toEqual([]);
    // the server is unharmed: no backup stage left open
    await source.sql("CREATE TABLE shop.after_cancel (id INT); DROP TABLE shop.after_cancel");
  });

  it("is unavailable, with the fix, for a remote server or a MySQL server", () => {
    return factsOf(source).then((f) => {
      const remote = engine.availability({ ...f, isLocal: false });
      expect(remote.available).toBe(false);
      expect(remote.reasons.join(" ")).toMatch(/another machine/);
      const mysql = engine.availability({ ...f, flavor: "mysql", version: "8.0.35" });
      expect(mysql.reasons.join(" ")).toMatch(/MariaDB only.*xtrabackup/);
      expect(engine.availability(f)).toEqual({ available: true, reasons: [] });
    });
  });
});
