import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import { createEncryptionKey } from "../../server/backup-keys/manage-keys";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { Runner } from "../../server/runner/runner";
import { startVerify } from "../../server/verify/start-verify";
import { listVerifications } from "../../server/verify/list-verifications";
import { useTempCatalog } from "../helpers/catalog";
import { runLog, waitForRun } from "../helpers/runs";

useTempCatalog();
let source: Sandbox;
let vhost: Sandbox;
let runner: Runner;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-verify-test-"));
const operator = { id: "u-op", email: "op@example.test", role: "operator" as const };
let hostId: string;
let targetId: string;
let keyId: string;

beforeAll(async () => {
  [source, vhost] = await Promise.all([startSandbox(), startSandbox()]);
  await db().user.create({ data: { id: operator.id, email: operator.email, role: "operator", passwordHash: "x" } });
  await source.sql(`CREATE DATABASE shop; USE shop;
    CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), doc JSON);
    INSERT INTO items SELECT seq, CONCAT('item ', seq), seq / 7, JSON_OBJECT('k', seq) FROM seq_1_to_3000;
    CREATE TABLE log (msg TEXT);
    INSERT INTO log VALUES ('a'), ('b'), ('a');
    CREATE VIEW cheap AS SELECT * FROM items WHERE price < 10;
    CREATE TRIGGER items_ai AFTER INSERT ON items FOR EACH ROW INSERT INTO log VALUES (NEW.name);`);
  hostId = (await db().host.create({ data: { id: "h-src", name: "src", host: "127.0.0.1", port: source.port, user: "root", tlsMode: "disabled" } })).id;
  await db().host.create({ data: { id: "h-verify", name: "verifier", host: "127.0.0.1", port: vhost.port, user: "root", tlsMode: "disabled", isVerificationHost: true } });
  targetId = (await db().storageTarget.create({ data: { id: "t-local", name: "local", kind: "local", path: dir } })).id;
  keyId = (await createEncryptionKey({ name: "k", actor: operator })).id;
  runner = new Runner({ pollMs: 50 });
  runner.start();
});
afterAll(async () => {
  await runner?.stop();
  await Promise.all([source?.stop(), vhost?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function backup(engine = "logical", encrypted = true) {
  const run = await startBackup({ input: { hostId, targetId, engine, encryptionKeyId: encrypted ? keyId : null, databases: ["shop"] }, actor: operator });
  const done = await waitForRun(run.id);
  expect(done.state, await runLog(run.id)).toBe("succeeded");
  return (await db().backup.findFirst({ where: { runId: run.id } }))!;
}

async function verify(backupId: string, verificationHostId?: string) {
  const run = await startVerify({ backupId, verificationHostId, actor: operator });
  return waitForRun(run.id);
}

describe("verification by restore", () => {
  it("restores a logical backup into a sandbox and records every check", async () => {
    const b = await backup();
    const run = await verify(b.id);
    expect(run.state, await runLog(run.id)).toBe("succeeded");
    const [v] = await listVerifications({ backupId: b.id });
    expect(v!.result).toBe("passed");
    expect(v!.checks.map((c) => c.name)).toEqual(["manifest", "objects", "restore", "schema objects", "row counts", "fingerprints"]);
    expect(v!.checks.every((c) => c.ok)).toBe(true);
    expect(v!.checks.find((c) => c.name === "fingerprints")!.detail).toMatch(/2 table fingerprints equal/);
    expect((await db().backup.findUnique({ where: { id: b.id } }))!.verifyState).toBe("verified");
  });

  it("restores into a verification host under temporary names and removes them", async () => {
    const b = await db().backup.findFirstOrThrow({ where: { hostId } });
    const run = await verify(b.id, "h-verify");
    expect(run.state, await runLog(run.id)).toBe("succeeded");
    const dbs = await vhost.sql<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'verify\\_%'");
    expect(dbs).toEqual([]);
  });

  it("catches a corrupted object (one flipped byte) and flags the backup", async () => {
    const b = await backup("logical", false);
    const m = JSON.parse(fs.readFileSync(path.join(dir, b.location, "manifest.json"), "utf8"));
    const data = m.objects.find((o: { role: string }) => o.role === "data");
    const p = path.join(dir, b.location, data.path);
    const bytes = fs.readFileSync(p);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.writeFileSync(p, bytes);
    const run = await verify(b.id);
    expect(run.state).toBe("failed");
    expect(run.error).toContain(data.path);
    const [v] = await listVerifications({ backupId: b.id });
    expect(v!.result).toBe("failed");
    expect(v!.checks.find((c) => c.name === "objects")!.detail).toMatch(/1 of \d+ objects fail/);
    expect((await db().backup.findUnique({ where: { id: b.id } }))!.verifyState).toBe("failed");
  });

  it("a backup restored with the wrong key fails verification, naming both key ids", async () => {
    const b = await backup();
    const other = await createEncryptionKey({ name: "other", actor: operator });
    await db().backup.update({ where: { id: b.id }, data: { encryptionKeyId: other.id } });
    const run = await verify(b.id);
    expect(run.state).toBe("failed");
    expect(run.error).toMatch(new RegExp(`encrypted with key [0-9a-f]{16}, but the key given is ${other.keyId}`));
  });

  it("a mariabackup (physical) backup is restored into a sandbox that must start", async () => {
    const b = await backup("mariabackup", true);
    const run = await verify(b.id);
    expect(run.state, await runLog(run.id)).toBe("succeeded");
    const [v] = await listVerifications({ backupId: b.id });
    expect(v!.checks.map((c) => c.name)).toContain("restore and start");
    expect(v!.checks.find((c) => c.name === "schema objects")!.ok).toBe(true);
  });
});
