// A point-in-time restore whose base is a mariabackup incremental: the plan takes the newest chain
// member before the target (the incremental, not its full), the target's datadir is replaced with
// the chain prepared in order (full, then the incremental), then the archived binlogs are replayed
// to a marked instant. A chain whose link is lost is not used as a base.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJson } from "../../server/db/client";
import { connectServer } from "../../server/mysql/connect";
import { freePort, startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { findTool } from "../../server/mysql/tools";
import { planHostPitr } from "../../server/pitr/catalog-segments";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import { useTempCatalog } from "../helpers/catalog";
import { useMariaDB } from "../helpers/mariadb";
import { runLog, sleep, waitForRun } from "../helpers/runs";
import { admin, archive, backupNow, fingerprint, mark, operator, pitrBed, pitrRun, shipEverything, type Bed, type Mark } from "../helpers/pitr";

const run = promisify(execFile);
useTempCatalog();
const src = await useMariaDB();
let work: string;
let dst: Sandbox;
let startScript: string;
let bed: Bed;
let m: Mark;
let crmAtMark: Record<string, string>;
let fullId: string;
let incId: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-pitr-incr-"));
  const port = await freePort();
  dst = await startSandbox({ dir: path.join(work, "server"), port });
  // what `systemctl start mariadb` does for the target: start mariadbd in the background and return
  const args = [
    "--no-defaults", `--datadir=${dst.datadir}`, `--port=${port}`, `--socket=${dst.socket}`, "--bind-address=127.0.0.1", `--server-id=${dst.serverId}`,
    `--log-error=${dst.errorLog}`, `--pid-file=${path.join(dst.dir, "mysqld.pid")}`, "--skip-name-resolve", "--innodb-buffer-pool-size=128M",
    "--innodb-log-file-size=64M", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci", "--user=root",
    `--log-bin=${path.join(dst.datadir, "binlog")}`, "--binlog-format=ROW",
  ].join(" ");
  startScript = path.join(work, "start-target.sh");
  await fs.writeFile(startScript, `#!/bin/sh\nnohup ${findTool("mariadbd", "mysqld")} ${args} >/dev/null 2>&1 &\nexit 0\n`, { mode: 0o755 });

  bed = await pitrBed({ src, dst });
  await src.sql(`CREATE DATABASE shop; CREATE DATABASE crm;
    CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, amount DECIMAL(10,2), placed DATETIME(6), meta JSON);
    CREATE TABLE crm.contacts (id INT PRIMARY KEY, name VARCHAR(50));
    INSERT INTO shop.orders (amount, placed, meta) SELECT seq / 4, '2026-01-01' + INTERVAL seq MINUTE, JSON_OBJECT('n', seq) FROM shop.seq_1_to_2000;
    INSERT INTO crm.contacts SELECT seq, CONCAT('c', seq) FROM crm.seq_1_to_100;`);
  await archive(bed, bed.hosts.src!);
  const b = await backupNow(bed, bed.hosts.src!, [], "mariabackup");
  expect(b.format).toBe("xbstream");
  fullId = b.id;
  await src.sql("UPDATE shop.orders SET amount = amount + 1 WHERE id % 5 = 0; INSERT INTO crm.contacts VALUES (101, 'after full')");
  const run = await startBackup({ input: { hostId: bed.hosts.src!, targetId: bed.targetId, engine: "mariabackup", backupKind: "incremental", compression: "zstd", parallel: 2 }, actor: operator });
  const done = await waitForRun(run.id);
  expect(done.state, await runLog(run.id)).toBe("succeeded");
  incId = done.backupId!;
  await sleep(1100);
  await src.sql("UPDATE shop.orders SET amount = amount * 2 WHERE id % 3 = 0; DELETE FROM crm.contacts WHERE id > 90; ALTER TABLE shop.orders ADD COLUMN paid BOOL DEFAULT 0; INSERT INTO shop.orders (amount, paid) VALUES (42, 1)");
  m = await mark(src, "after the physical backup", new Date(Math.floor(Date.now() / 1000) * 1000), "shop");
  crmAtMark = await fingerprint(src, "crm");
  await sleep(1100);
  await src.sql("INSERT INTO shop.orders (amount) VALUES (-1); DROP TABLE crm.contacts");
  await shipEverything(src, bed.hosts.src!);
}, 240_000);

afterAll(async () => {
  // the target now runs detached from the start script: stop it by SQL
  const c = await connectServer(dst.address()).catch(() => null);
  if (c) {
    const pid = Number((await fs.readFile(path.join(dst.dir, "mysqld.pid"), "utf8").catch(() => "0")).trim());
    await c.query("SHUTDOWN").catch(() => undefined);
    c.destroy();
    for (let i = 0; i < 200 && pid && (await run("kill", ["-0", String(pid)]).then(() => true, () => false)); i++) await sleep(100);
  }
  await dst.stop().catch(() => undefined);
  await fs.rm(work, { recursive: true, force: true });
}, 60_000);

describe("point-in-time restore from an incremental", () => {
  it("plans the incremental, the newest chain member before the instant, as the base", async () => {
    const inc = await db().backup.findUniqueOrThrow({ where: { id: incId } });
    expect(inc).toMatchObject({ backupKind: "incremental", parentBackupId: fullId });
    const plan = await planHostPitr(bed.hosts.src!, { time: m.time });
    expect(plan.backup.id).toBe(incId);
  });

  it("restores the chain in place and replays the binlogs to the marked instant", async () => {
    const done = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: m.time.toISOString(), confirm: "dst", startCommand: startScript }, admin);
    const log = await runLog(done.id);
    expect(done.state, `${done.error}\n${log}`).toBe("succeeded");
    expect(done.backupId).toBe(incId);
    expect(log).toMatch(/Prepared link 1\/2 \(full/);
    expect(log).toMatch(/Prepared link 2\/2 \(incremental/);
    expect(await fingerprint(dst, "shop")).toEqual(m.fp);
    expect(await fingerprint(dst, "crm")).toEqual(crmAtMark);
    const result = parseJson<Record<string, any>>(done.result, {});
    expect(result.replay.transactions).toBeGreaterThanOrEqual(4);
  });

  it("a broken chain is not a base: the plan falls back to the full", async () => {
    await db().backup.update({ where: { id: incId }, data: { chainBroken: "test: a link is lost" } });
    const plan = await planHostPitr(bed.hosts.src!, { time: m.time });
    expect(plan.backup.id).toBe(fullId);
    await db().backup.update({ where: { id: incId }, data: { chainBroken: null } });
  });
});
