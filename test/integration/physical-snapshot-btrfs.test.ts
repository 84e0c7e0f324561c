// The snapshot engine against a real Btrfs filesystem (loop device) under a real MariaDB with a
// write workload running, to a local directory and to an S3-protocol server, with zstd and
// encryption; restored into a new datadir and a new server and compared table by table.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { createSnapshotEngine } from "../../server/engines/snapshot/snapshot-engine";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { restorePhysicalToSandboxDetailed } from "../../server/restore/physical/restore-to-sandbox";
import { LocalStore } from "../../server/storage/local-store";
import { collect } from "../../server/storage/object-store";
import { S3Store } from "../../server/storage/s3-store";
import { s3Leftovers, startS3, type TestS3 } from "../helpers/s3";
import {
  createBtrfsVolume,
  expectMatchesSourceAtCoordinates,
  gtidSeq,
  pathExists,
  resetWorkload,
  runBackup,
  seedSample,
  startWriter,
  testContext,
} from "../helpers/physical";

const engine = createSnapshotEngine();
const key = crypto.randomBytes(32);
let vol: Awaited<ReturnType<typeof createBtrfsVolume>>;
let source: Sandbox;
let s3: TestS3;
let work: string;
const started: Sandbox[] = [];

beforeAll(async () => {
  vol = await createBtrfsVolume(2);
  const sub = await vol.subvolume("mysql");
  // the sandbox keeps its datadir in <dir>/data: a datadir inside a subvolume, as on many hosts
  source = await startSandbox({ dir: sub, removeOnStop: false });
  await seedSample(source, 3000);
  s3 = await startS3();
  work = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-phys-btrfs-"));
}, 180_000);

afterAll(async () => {
  for (const sb of started) await sb.stop().catch(() => undefined);
  await source?.stop().catch(() => undefined);
  await s3?.stop().catch(() => undefined);
  await vol?.destroy();
  if (work) await fs.rm(work, { recursive: true, force: true });
}, 120_000);

function s3Store() {
  return new S3Store({ endpoint: s3.endpoint, bucket: s3.bucket, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, partSize: 5 * 1024 * 1024, workers: 3 });
}

async function snapshotsLeft() {
  return (await vol.subvolumes()).filter((p) => p !== "mysql");
}

/**
 * Backs up with the writer running, stops it, rewinds the source to the backup's coordinates,
 * restores into a new sandbox and compares every table.
 */
async function backupRestoreCompare(store: LocalStore | S3Store, prefix: string, options: Record<string, unknown> = {}) {
  await source.sql("INSERT INTO shop.markers (label, at) VALUES (?, NOW(6))", [`before ${prefix}`]);
  const [{ pos }] = await source.sql<{ pos: string }>("SELECT @@gtid_binlog_pos AS pos");
  const base = gtidSeq(pos);
  const startCount = (await source.sql<{ n: string }>("SELECT n FROM shop.counters WHERE id = 1"))[0]!.n;
  expect(Number(startCount)).toBe(0);
  const writer = startWriter(source);
  await new Promise((r) => setTimeout(r, 400)); // let the workload get going
  const ctx = testContext();
  const { manifest, ms } = await runBackup({ engine, ctx, sb: source, store, prefix, encoding: { compression: "zstd", key }, options });
  await new Promise((r) => setTimeout(r, 200)); // the workload carries on after the lock
  const last = await writer.stop();

  // lock time is measured and recorded; coordinates and the inventory are in the manifest
  expect(manifest.engine).toBe("snapshot");
  expect(manifest.layout).toBe("tar");
  expect(manifest.lockMs).toBeGreaterThan(0);
  expect(manifest.lockMs).toBeLessThan(2000);
  expect(manifest.details.lockMethod).toBe(options.lockMethod ?? "backup-stage");
  expect(manifest.coordinates?.file).toMatch(/^binlog\.\d{6}$/);
  expect(manifest.databases.map((d) => d.name)).toEqual(["crm", "shop"]);
  expect(manifest.databases.find((d) => d.name === "shop")!.views).toEqual(["big_orders"]);
  expect(manifest.objects.map((o) => o.path)).toEqual(["datadir.tar.zst.enc"]);
  expect(ctx.logs.join("\n")).toMatch(new RegExp(`commits were blocked for [\\d.]+ ms \\(${options.lockMethod ?? "backup-stage"}\\)`));

  // the GTID position is exactly "marker + the writer transactions in the copy"
  const inCopy = gtidSeq(manifest.coordinates!.gtid) - base;
  expect(inCopy).toBeGreaterThan(0);
  expect(inCopy).toBeLessThan(last); // the writer went on after the snapshot

  expect(await snapshotsLeft()).toEqual([]);

  const reader = await BackupSetReader.open(store, prefix, key);
  const rctx = testContext();
  const t0 = Date.now();
  const { sandbox: restored, restore, startMs } = await restorePhysicalToSandboxDetailed(rctx, { reader, dir: path.join(work, prefix.replace(/\W+/g, "-")) });
  started.push(restored);
  const restoreMs = Date.now() - t0;

  const inCopy2 = await expectMatchesSourceAtCoordinates({ source, restored, manifest, gtidBefore: base, marker: `before ${prefix}`, binlogsRestored: true });
  expect(inCopy2).toBe(inCopy);
  await resetWorkload(source);
  await restored.stop();
  return { manifest, ms, restoreMs, startMs, restore };
}

describe("snapshot engine on Btrfs", () => {
  it("backs up a busy server to a local directory (zstd + AES-GCM) and restores it consistent at the recorded coordinates", async () => {
    const store = new LocalStore(path.join(work, "local"));
    const r = await backupRestoreCompare(store, "source/b-local1/");
    expect(r.restore.layout).toBe("tar");
    console.log(`snapshot→local: backup ${r.ms} ms, lock ${r.manifest.lockMs} ms (snapshot ${r.manifest.details.snapshotMs} ms, DDL blocked ${r.manifest.details.ddlBlockedMs} ms), ${r.manifest.totals.rawBytes} raw → ${r.manifest.totals.storedBytes} stored; restore ${r.restoreMs} ms (server start ${r.startMs} ms)`);
  });

  it("streams the archive straight to S3 (multipart, no local staging) and restores from there", async () => {
    const store = s3Store();
    const r = await backupRestoreCompare(store, "source/b-s3one/");
    const keys = (await s3Leftovers(s3)).objects;
    expect(keys).toEqual(expect.arrayContaining(["source/b-s3one/datadir.tar.zst.enc", "source/b-s3one/manifest.json"]));
    expect(r.manifest.totals.storedBytes).toBeGreaterThan(5 * 1024 * 1024); // more than one part
    await store.deletePrefix("source/b-s3one/");
  });

  it("with FLUSH TABLES WITH READ LOCK (the lock used for MySQL) the copy is just as consistent", async () => {
    const r = await backupRestoreCompare(new LocalStore(path.join(work, "ftwrl")), "source/b-ftwrl/", { lockMethod: "ftwrl" });
    expect(r.manifest.details.ddlBlockedMs).toBeNull();
  });

  it("cancelled mid-stream: the snapshot is removed, and aborting the set leaves nothing in S3", async () => {
    const store = s3Store();
    const ctx = testContext((p, c) => {
      if ((p.bytesDone ?? 0) > 20 * 1024 * 1024 && !c.signal.aborted) c.controller.abort(new Error("cancelled by the test"));
    });
    const err = await runBackup({ engine, ctx, sb: source, store, prefix: "source/b-cancel/", encoding: { compression: "zstd", key } }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(ctx.signal.aborted).toBe(true);
    expect(await snapshotsLeft()).toEqual([]);
    expect(ctx.logs.join("\n")).toMatch(/Snapshot removed/);
    await err.set.abort(err);
    expect(await collect(store.list("source/b-cancel/"))).toEqual([]);
  });

  it("the S3 server dies mid-stream: the backup fails, the snapshot is removed, and nothing remains once the set is aborted", async () => {
    const store = s3Store();
    let killed = false;
    const ctx = testContext((p) => {
      if ((p.bytesDone ?? 0) > 15 * 1024 * 1024 && !killed) {
        killed = true;
        void s3.stop();
      }
    });
    const err = await runBackup({ engine, ctx, sb: source, store, prefix: "source/b-s3dies/", encoding: { compression: "none", key: null } }).catch((e) => e);
    expect(killed).toBe(true);
    expect(err).toBeInstanceOf(Error);
    expect(String(err.message)).toMatch(/s3:\/\/|ECONNREFUSED|connect|socket|unreachable/i);
    expect(await snapshotsLeft()).toEqual([]);
    await s3.restart();
    await err.set.abort(err);
    expect((await s3Leftovers(s3)).objects.filter((k) => k.startsWith("source/b-s3dies/"))).toEqual([]);
  }, 120_000);

  it("a long-running write holding the lock makes the backup fail retryably within the timeout, without stalling InnoDB writes", async () => {
    const blocker = await source.connect();
    const [{ id }] = (await blocker.query("SELECT CONNECTION_ID() AS id"))[0] as { id: number }[];
    // a slow statement on a non-transactional table: BACKUP STAGE BLOCK_DDL must wait for it
    const slow = blocker.query("UPDATE shop.legacy SET note = CONCAT(note, SLEEP(20)) WHERE id = 1").catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const ctx = testContext();
    const t0 = Date.now();
    const pending = runBackup({ engine, ctx, sb: source, store: new LocalStore(path.join(work, "locked")), prefix: "source/b-locked/", encoding: { compression: "zstd", key: null }, options: { lockWaitTimeoutSeconds: 4 } }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 800));
    const w0 = Date.now();
    await source.sql("INSERT INTO shop.markers (label, at) VALUES ('during lock wait', NOW(6))");
    const writeMs = Date.now() - w0;
    const err = await pending;
    const waited = Date.now() - t0;
    await source.sql(`KILL QUERY ${Number(id)}`);
    await slow;
    await blocker.end();
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/A long-running query on source held the lock for more than 4 s .*retry later/);
    expect(err.message).toMatch(/UPDATE shop\.legacy SET note/);
    expect(waited).toBeLessThan(10_000);
    // a stalled write would have waited for the lock attempt to give up (~3.2 s after it was sent)
    expect(writeMs).toBeLessThan(2000);
    expect(await snapshotsLeft()).toEqual([]);
    expect(await pathExists(path.join(vol.mnt, ".dbbackup-snapshots"))).toBe(false);
  });
});
