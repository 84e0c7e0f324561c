import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import { createEncryptionKey } from "../../server/backup-keys/manage-keys";
import { createTarget } from "../../server/storage/manage-targets";
import { startRestore } from "../../server/restore/start-restore";
import { Runner } from "../../server/runner/runner";
import { cancelRun } from "../../server/runner/cancel-run";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { useTempCatalog } from "../helpers/catalog";
import { s3Leftovers, startS3, type TestS3 } from "../helpers/s3";
import { checksums, runLog, sleep, waitFor, waitForRun } from "../helpers/runs";

useTempCatalog();
let source: Sandbox;
let target: Sandbox;
let s3: TestS3;
let runner: Runner;
const localDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-runs-local-"));
const admin = { id: "u-admin", email: "admin@example.test", role: "admin" as const };
const operator = { id: "u-op", email: "op@example.test", role: "operator" as const };
let ids: { src: string; dst: string; s3: string; local: string; key: string };

beforeAll(async () => {
  [source, target, s3] = await Promise.all([startSandbox(), startSandbox(), startS3()]);
  await db().user.createMany({ data: [{ id: admin.id, email: admin.email, role: "admin", passwordHash: "x" }, { id: operator.id, email: operator.email, role: "operator", passwordHash: "x" }] });
  // a shop, and a 60 MB table of incompressible blobs so uploads take long enough to interrupt
  await source.sql(`CREATE DATABASE shop; USE shop; CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(50), note JSON, created DATETIME(6));
    INSERT INTO shop.customers SELECT seq, CONCAT('customer ', seq), JSON_OBJECT('n', seq), '2026-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_5000;
    CREATE TABLE shop.blobs (id INT PRIMARY KEY, b LONGBLOB);
    INSERT INTO shop.blobs SELECT seq, RANDOM_BYTES(1024) FROM seq_1_to_1;`);
  await source.sql(`USE shop; INSERT INTO shop.blobs SELECT seq + 1, CONCAT(RANDOM_BYTES(1024), RANDOM_BYTES(1024), RANDOM_BYTES(1024), RANDOM_BYTES(1024)) FROM seq_1_to_15000`);
  const mk = async (name: string, sb: Sandbox) => (await db().host.create({ data: { id: `h-${name}`, name, host: "127.0.0.1", port: sb.port, user: "root", tlsMode: "disabled" } })).id;
  ids = {
    src: await mk("source", source),
    dst: await mk("target", target),
    s3: (
      await createTarget({
        input: { kind: "s3", name: "s3", endpoint: s3.endpoint, region: "us-east-1", bucket: s3.bucket, prefix: "bk/", forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, sse: "none", kmsKeyId: null, partSize: 5 * 1024 * 1024, workers: 3 },
        actor: admin,
      })
    ).id,
    local: (await db().storageTarget.create({ data: { id: "t-local", name: "local", kind: "local", path: localDir } })).id,
    key: (await createEncryptionKey({ name: "k1", actor: admin })).id,
  };
  runner = new Runner({ pollMs: 50, retryBaseMs: 200 });
  runner.start();
});
afterAll(async () => {
  await runner?.stop();
  await Promise.all([source?.stop(), target?.stop(), s3?.stop()]);
  fs.rmSync(localDir, { recursive: true, force: true });
});

const backupInput = (over: Record<string, unknown> = {}) => ({
  hostId: ids.src, targetId: ids.s3, engine: "logical", databases: ["shop"], excludeTables: [], compression: "zstd" as const, level: 3, encryptionKeyId: ids.key, parallel: 4, includeUsers: false, ...over,
});
/**
 * Makes the next dump of `shop` stop in the middle, surely: a session holds a small table without a
 * key, which the dump reads after the big blobs table (largest tables first; a table without a key
 * needs no chunk planning up front). `reached` resolves once the dump waits there.
 */
async function holdDumpMidway() {
  await source.sql("CREATE TABLE IF NOT EXISTS shop.zz_notes (note VARCHAR(20)); INSERT INTO shop.zz_notes VALUES ('one'), ('two')");
  const blocker = await source.connect();
  blocker.on("error", () => undefined);
  await blocker.query("LOCK TABLES shop.zz_notes WRITE");
  return {
    reached: () =>
      waitFor(async () => {
        const [{ n }] = await source.sql<{ n: string }>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT % FROM `shop`.`zz_notes`%' AND STATE LIKE 'Waiting for table metadata lock%'");
        return Number(n) > 0;
      }, 60_000, "the dump to wait for shop.zz_notes"),
    release: () => blocker.end().catch(() => undefined),
  };
}


describe("backup and restore runs", () => {
  it("backs up to S3 (encrypted, streamed) and restores under a new name with identical checksums", async () => {
    const run = await startBackup({ input: backupInput(), actor: operator });
    const done = await waitForRun(run.id);
    expect(done.state, await runLog(run.id)).toBe("succeeded");
    const backup = (await db().backup.findFirst({ where: { runId: run.id } }))!;
    expect(backup.encrypted).toBe(true);
    expect(backup.binlogFile).toMatch(/^binlog\.\d+$/);
    expect(backup.lockMs).not.toBeNull();
    expect(Number(backup.sizeBytes)).toBeGreaterThan(50 * 1024 * 1024);
    const objects = (await s3Leftovers(s3)).objects.filter((k) => k.startsWith(`bk/source/${backup.id}/`));
    expect(objects).toContain(`bk/source/${backup.id}/manifest.json`);

    const restore = await startRestore({ input: { backupId: backup.id, targetHostId: ids.src, rename: { shop: "shop_restored" }, databases: [], dropExisting: false, parallel: 4 }, actor: operator });
    const r = await waitForRun(restore.id);
    expect(r.state, await runLog(restore.id)).toBe("succeeded");
    const a = await checksums((q, p) => source.sql(q, p), "shop");
    const b = await checksums((q, p) => source.sql(q, p), "shop_restored");
    expect(Object.keys(a)).toEqual(["blobs", "customers"]);
    expect(b).toEqual(a);
    const progress = JSON.parse(r.progress);
    expect(progress.tablesDone).toBe(progress.tablesTotal);
  });

  it("restoring over the source's own databases needs an admin who types the host name", async () => {
    const backup = (await db().backup.findFirst({ where: { hostId: ids.src } }))!;
    const over = { backupId: backup.id, targetHostId: ids.src, rename: {}, databases: ["shop"], dropExisting: true, parallel: 2 };
    await expect(startRestore({ input: over, actor: operator })).rejects.toThrow(/needs an admin/);
    await expect(startRestore({ input: { ...over, confirm: "wrong" }, actor: admin })).rejects.toThrow(/Type the host name \(source\) to confirm/);
    const run = await startRestore({ input: { ...over, confirm: "source" }, actor: admin });
    expect((await waitForRun(run.id)).state).toBe("succeeded");
    expect(await db().auditEvent.count({ where: { action: "restore.start-over-original" } })).toBe(1);
  });

  it("a cancelled backup mid-upload ends cancelled and leaves nothing in S3", async () => {
    const hold = await holdDumpMidway();
    const run = await startBackup({ input: backupInput({ parallel: 1 }), actor: operator });
    await hold.reached();
    await waitFor(async () => {
      const r = await db().run.findUnique({ where: { id: run.id } });
      return r?.state === "running" && (JSON.parse(r.progress).bytesDone ?? 0) > 5 * 1024 * 1024;
    }, 10_000, "the blobs to be uploaded");
    await cancelRun({ runId: run.id, actor: operator });
    const done = await waitForRun(run.id).finally(hold.release);
    expect(done.state).toBe("cancelled");
    await sleep(300);
    const ws = JSON.parse(done.result ?? "{}").workspace ?? {};
    const left = (await s3Leftovers(s3)).objects.filter((k) => ws.prefix && k.startsWith(`bk/${ws.prefix}`));
    expect(left).toEqual([]);
    expect(await db().backup.count({ where: { runId: run.id } })).toBe(0);
  });

  it("S3 going away mid-upload fails the run with the cause; nothing is left once it is back", async () => {
    const hold = await holdDumpMidway();
    const run = await startBackup({ input: backupInput({ parallel: 1 }), actor: operator });
    await hold.reached();
    await s3.stop();
    await hold.release(); // the dump goes on, into an S3 that is gone
    const failedAttempt = await waitFor(async () => {
      const r = await db().run.findUnique({ where: { id: run.id } });
      return r && r.error ? r : null;
    }, 90_000, "the attempt to fail");
    expect(failedAttempt.error).toMatch(/Cannot reach the S3 endpoint/);
    await s3.restart();
    await cancelRun({ runId: run.id, actor: operator }).catch(() => undefined);
    await waitForRun(run.id);
    // cleanup that could not happen during the outage was recorded and is done once S3 answers
    const { sweepCleanupTasks } = await import("../../server/storage/cleanup");
    await sweepCleanupTasks();
    expect(await db().cleanupTask.count()).toBe(0);
    const committed = (await db().backup.findMany({ where: { state: "complete" } })).map((b) => `bk/source/${b.id}/`);
    const left = (await s3Leftovers(s3)).objects.filter((k) => !committed.some((p) => k.startsWith(p)));
    expect(left).toEqual([]);
  });

  it("the source server dying mid-dump fails the run with a clear message and removes partial objects", async () => {
    const hold = await holdDumpMidway();
    const run = await startBackup({ input: backupInput({ targetId: ids.local, parallel: 1, encryptionKeyId: null }), actor: operator });
    await hold.reached();
    // partial objects exist now; they must be gone once the run has failed
    expect(fs.readdirSync(path.join(localDir, "source"))).toHaveLength(1);
    await source.kill();
    await hold.release();
    const failed = await waitFor(async () => {
      const r = await db().run.findUnique({ where: { id: run.id } });
      return r?.error ? r : null;
    }, 30_000, "the attempt to fail");
    expect(failed.error).toMatch(/lost|refused|gone|closed/i);
    await cancelRun({ runId: run.id, actor: operator }).catch(() => undefined);
    await waitForRun(run.id);
    await source.start();
    const dirs = fs.existsSync(path.join(localDir, "source")) ? fs.readdirSync(path.join(localDir, "source")) : [];
    expect(dirs).toEqual([]);
  });
});
