import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startArchiving, stopArchiving } from "../../server/archive-runs/manage-archiving";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import { Runner } from "../../server/runner/runner";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { runDrill } from "../../server/verify/drill";
import { listVerifications } from "../../server/verify/list-verifications";
import { startDrill } from "../../server/verify/start-verify";
import { useTempCatalog } from "../helpers/catalog";
import { testContext } from "../helpers/binlog";
import { runLog, sleep, waitFor, waitForRun } from "../helpers/runs";

useTempCatalog();
let source: Sandbox;
let runner: Runner;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-drill-test-"));
const operator = { id: "u-op", email: "op@example.test", role: "operator" as const };
let hostId: string;
let targetId: string;
const backups: string[] = [];

beforeAll(async () => {
  source = await startSandbox();
  await db().user.create({ data: { id: operator.id, email: operator.email, role: "operator", passwordHash: "x" } });
  await source.sql(`CREATE DATABASE shop; USE shop;
    CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(40), balance DECIMAL(12,2), updated DATETIME(6));
    INSERT INTO accounts SELECT seq, CONCAT('owner ', seq), 1000, NOW(6) FROM seq_1_to_500;
    CREATE TABLE ledger (id BIGINT PRIMARY KEY AUTO_INCREMENT, src INT, dst INT, amount DECIMAL(12,2), note JSON);`);
  hostId = (await db().host.create({ data: { id: "h-drill", name: "drill-src", host: "127.0.0.1", port: source.port, user: "root", tlsMode: "disabled" } })).id;
  targetId = (await db().storageTarget.create({ data: { id: "t-drill", name: "local", kind: "local", path: dir } })).id;
  runner = new Runner({ pollMs: 50 });
  runner.start();
  await startArchiving({ hostId, targetId, actor: operator });
  await waitFor(async () => (await db().archiverState.findUnique({ where: { hostId } }))?.status === "running", 30_000, "the archiver");

  const transfers = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const a = 1 + ((i * 7) % 500);
      const b = 1 + ((i * 13 + 3) % 500);
      await source.sql(
        `START TRANSACTION; UPDATE shop.accounts SET balance = balance - 5, updated = NOW(6) WHERE id = ${a}; UPDATE shop.accounts SET balance = balance + 5, updated = NOW(6) WHERE id = ${b};
         INSERT INTO shop.ledger (src, dst, amount, note) VALUES (${a}, ${b}, 5, JSON_OBJECT('i', ${i})); COMMIT;`,
      );
    }
  };
  const backup = async () => {
    const run = await startBackup({ input: { hostId, targetId, engine: "logical", databases: ["shop"] }, actor: operator });
    const done = await waitForRun(run.id);
    expect(done.state, await runLog(run.id)).toBe("succeeded");
    backups.push((await db().backup.findFirstOrThrow({ where: { runId: run.id } })).id);
  };
  await transfers(50);
  await backup();
  await sleep(1100);
  await transfers(150);
  await source.sql("ALTER TABLE shop.ledger ADD COLUMN memo VARCHAR(20) DEFAULT 'x'; FLUSH BINARY LOGS;");
  await transfers(100);
  await sleep(1100);
  await backup();
  await transfers(30);
  // the archive must hold everything up to the newer backup's coordinates
  await waitFor(async () => {
    const st = await db().archiverState.findUnique({ where: { hostId } });
    return st?.lagSeconds === 0;
  }, 30_000, "the archiver to catch up");
});
afterAll(async () => {
  await stopArchiving({ hostId, actor: operator }).catch(() => undefined);
  await runner?.stop();
  await source?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("point-in-time drill", () => {
  it("restores the older backup, replays to a random moment (consistent) and on to the newer backup's coordinates (fingerprints equal)", async () => {
    const run = await startDrill({ hostId, actor: operator });
    const done = await waitForRun(run.id, 180_000);
    expect(done.state, await runLog(run.id)).toBe("succeeded");
    const [v] = await listVerifications({ backupId: backups[1]!, limit: 5 });
    expect(v!.kind).toBe("drill");
    expect(v!.result).toBe("passed");
    expect(v!.checks.map((c) => c.name)).toEqual(["drill: restore older backup", "drill: replay to a random moment", "drill: replay to the newer backup"]);
    expect(v!.checks[2]!.detail).toMatch(/all 2 table fingerprints equal backup/);
    expect(v!.checks[2]!.detail).toMatch(/\d+ more transaction\(s\) replayed/);
  });

  it("a random moment in the newer backup's own second does not replay past it (commits after the backup share that second)", async () => {
    const r = await runDrill(testContext(new AbortController().signal), { hostId, random: () => 0.9999 });
    expect(r.checks.map((c) => [c.name, c.ok, c.detail])).toEqual([
      ["drill: restore older backup", true, expect.any(String)],
      ["drill: replay to a random moment", true, expect.stringMatching(/CHECK TABLE passes/)],
      ["drill: replay to the newer backup", true, expect.stringMatching(/all 2 table fingerprints equal backup/)],
    ]);
  });

  it("a replay that does not reproduce the newer backup fails the drill", async () => {
    // tamper with what the newer backup recorded: the drill must notice
    const b = await db().backup.findUniqueOrThrow({ where: { id: backups[1]! } });
    const file = path.join(dir, b.location, "manifest.json");
    const m = JSON.parse(fs.readFileSync(file, "utf8"));
    const t = m.databases[0].tables.find((x: { name: string }) => x.name === "accounts");
    t.fingerprint.hash = "0".repeat(t.fingerprint.hash.length);
    fs.writeFileSync(file, JSON.stringify(m));
    const run = await startDrill({ hostId, actor: operator });
    const done = await waitForRun(run.id, 180_000);
    expect(done.state).toBe("failed");
    expect(done.error, done.error ?? "").toMatch(/shop\.accounts/);
    expect((await db().backup.findUniqueOrThrow({ where: { id: b.id } })).verifyState).toBe("failed");
  });
});
