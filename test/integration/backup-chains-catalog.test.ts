// mariabackup chains through the catalog and the runner: backup runs of kind full, incremental and
// differential record their chain (parent, root, LSNs); verification restores the whole chain; a
// chain link that is lost marks it and its successors not restorable (catalog, metric,
// notification) and fails the restore before anything is restored; a base with dependents
// cannot be deleted.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteBackup } from "../../server/backups/delete-backup";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import { renderMetrics } from "../../server/metrics/registry";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { createChannel } from "../../server/notify/channels";
import { createPolicy } from "../../server/policies/manage-policies";
import { runPolicyNow } from "../../server/policies/policy-backup";
import { Runner } from "../../server/runner/runner";
import { startVerify } from "../../server/verify/start-verify";
import { useTempCatalog } from "../helpers/catalog";
import { startHttpReceiver } from "../helpers/receivers";
import { runLog, waitFor, waitForRun } from "../helpers/runs";

useTempCatalog();
let source: Sandbox;
let runner: Runner;
let hook: Awaited<ReturnType<typeof startHttpReceiver>>;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-chain-catalog-"));
const operator = { id: "u-op", email: "op@example.test", role: "operator" as const };
const admin = { id: "u-admin", email: "admin@example.test", role: "admin" as const };
const hostId = "h-src";
const targetId = "t-local";

beforeAll(async () => {
  source = await startSandbox();
  hook = await startHttpReceiver();
  await db().user.createMany({ data: [operator, admin].map((u) => ({ id: u.id, email: u.email, role: u.role, passwordHash: "x" })) });
  await source.sql(`CREATE DATABASE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, v INT, note VARCHAR(100)) ENGINE=InnoDB;
    INSERT INTO shop.items SELECT seq, seq, REPEAT('x', 80) FROM shop.seq_1_to_5000;`);
  await db().host.create({ data: { id: hostId, name: "src", host: "127.0.0.1", port: source.port, user: "root", tlsMode: "disabled" } });
  await db().storageTarget.create({ data: { id: targetId, name: "local", kind: "local", path: dir } });
  await createChannel({ input: { name: "hook", config: { kind: "webhook", url: hook.url, secret: "s" }, events: ["verify-failure"], enabled: true }, actor: admin });
  runner = new Runner({ pollMs: 50 });
  runner.start();
}, 120_000);
afterAll(async () => {
  await runner?.stop();
  await source?.stop();
  await hook?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function backup(backupKind: "full" | "incremental" | "differential") {
  const run = await startBackup({ input: { hostId, targetId, engine: "mariabackup", backupKind, parallel: 2 }, actor: operator });
  const done = await waitForRun(run.id);
  expect(done.state, await runLog(run.id)).toBe("succeeded");
  return db().backup.findFirstOrThrow({ where: { runId: run.id } });
}

describe("backup chains in the catalog", () => {
  it("records chains, verifies a whole chain, and marks the successors of a lost link not restorable", async () => {
    const full = await backup("full");
    await source.sql("UPDATE shop.items SET v = v + 1 WHERE id % 100 = 1");
    const i1 = await backup("incremental");
    await source.sql("UPDATE shop.items SET v = v + 1 WHERE id % 100 = 2");
    const i2 = await backup("incremental");
    await source.sql("UPDATE shop.items SET v = v + 1 WHERE id % 100 = 3");
    const d = await backup("differential");
    expect(full).toMatchObject({ backupKind: "full", parentBackupId: null, chainRootId: full.id, fromLsn: "0" });
    expect(i1).toMatchObject({ backupKind: "incremental", parentBackupId: full.id, chainRootId: full.id, fromLsn: full.toLsn });
    expect(i2).toMatchObject({ backupKind: "incremental", parentBackupId: i1.id, chainRootId: full.id, fromLsn: i1.toLsn });
    // a differential is taken against the newest full, not the newest backup
    expect(d).toMatchObject({ backupKind: "differential", parentBackupId: full.id, chainRootId: full.id, fromLsn: full.toLsn });

    // verification restores the whole chain (full, i1, i2) into a sandbox and starts it
    const v = await waitForRun((await startVerify({ backupId: i2.id, actor: operator })).id);
    const vlog = await runLog(v.id);
    expect(v.state, vlog).toBe("succeeded");
    expect(vlog).toMatch(/Prepared link 1\/3 \(full/);
    expect(vlog).toMatch(/Prepared link 3\/3 \(incremental/);
    // the objects of every link were checked, not only the incremental's
    const checks = JSON.parse((await db().verification.findFirstOrThrow({ where: { runId: v.id } })).checks) as { name: string; detail: string }[];
    expect(checks.find((c) => c.name === "objects")!.detail).toMatch(/^3 objects, \d+ bytes \(with the 2 earlier link\(s\) of its chain\)/);

    // a base with dependents cannot be deleted by hand
    await expect(deleteBackup({ backupId: i1.id, actor: admin })).rejects.toThrow(new RegExp(`base of ${i2.id}`));

    // the middle link's objects are lost (outside dbbackup): the next restore of i2 fails before restoring anything
    fs.rmSync(path.join(dir, i1.location), { recursive: true, force: true });
    const v2 = await waitForRun((await startVerify({ backupId: i2.id, actor: operator })).id);
    expect(v2.state).toBe("failed");
    expect(v2.error).toMatch(new RegExp(`chain of backup ${i2.id} is broken at ${i1.id}`));
    expect(await runLog(v2.id)).not.toMatch(/Prepared link/);
    // it and every later backup of its chain are marked; the full and the differential still restore
    const rows = Object.fromEntries((await db().backup.findMany()).map((b) => [b.id, b.chainBroken]));
    expect(rows[i1.id]).toMatch(/broken at/);
    expect(rows[i2.id]).toMatch(/broken at/);
    expect(rows[full.id]).toBeNull();
    expect(rows[d.id]).toBeNull();
    const { body } = await renderMetrics();
    expect(body).toContain('dbbackup_backups_not_restorable{host="src"} 2');
    const note = await waitFor(async () => hook.requests.find((r) => /chain of src broken/.test(r.body)), 10_000, "the chain-broken notification");
    expect(note.body).toContain(i2.id);

    // the next scheduled incremental does not build on the broken chain: it follows the newest restorable backup
    const i3 = await backup("incremental");
    expect(i3.parentBackupId).toBe(d.id);
    const v3 = await waitForRun((await startVerify({ backupId: d.id, actor: operator })).id);
    expect(v3.state, await runLog(v3.id)).toBe("succeeded");

    // a policy that schedules differentials: "Run now" (the scheduler's input) takes one against the newest full
    const policy = await createPolicy({
      input: { name: "hourly diff", hostId, targetId, engine: "mariabackup", backupKind: "differential", databases: [], excludeTables: [], schedule: "0 * * * *", timezone: "UTC", compression: "zstd", compressionLevel: 3, retention: { keepLast: 24 }, binlogArchiving: false, enabled: true, verifySchedule: null },
      actor: operator,
    });
    const pr = await waitForRun((await runPolicyNow({ id: policy.id, actor: operator })).id);
    expect(pr.state, await runLog(pr.id)).toBe("succeeded");
    expect(await db().backup.findUniqueOrThrow({ where: { id: pr.backupId! } })).toMatchObject({ backupKind: "differential", parentBackupId: full.id, policyId: policy.id });
  }, 300_000);
});
