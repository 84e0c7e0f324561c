// A point-in-time restore whose base is a physical backup (mariadb-backup): the target server's
// datadir is replaced in place (stop, datadir aside, backup in, start with the DBA's start
// command), then the archived binlogs are replayed into it, every database. Admin only.
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
import { startPitr } from "../../server/pitr/start-pitr";
import { useTempCatalog } from "../helpers/catalog";
import { useMariaDB } from "../helpers/mariadb";
import { runLog, sleep } from "../helpers/runs";
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

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-pitr-physical-"));
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

describe("point-in-time restore from a physical base backup", () => {
  it("needs an admin, the host name typed and a start command", async () => {
    const input = { hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: m.time.toISOString(), rename: {}, databases: [], dropExisting: false, parallel: 2 };
    await expect(startPitr({ input, actor: operator })).rejects.toThrow(/physical \(xbstream\).*needs an admin/);
    await expect(startPitr({ input: { ...input, startCommand: startScript }, actor: admin })).rejects.toThrow(/Type the host name \(dst\)/);
  });

  it("replaces the target's datadir with the backup and replays every database to the instant", async () => {
    const done = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: m.time.toISOString(), confirm: "dst", startCommand: startScript }, admin);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    expect(await fingerprint(dst, "shop")).toEqual(m.fp);
    expect(await fingerprint(dst, "crm")).toEqual(crmAtMark);
    const result = parseJson<Record<string, any>>(done.result, {});
    expect(result.backupEngine).toBe("mariabackup");
    expect(result.replay.transactions).toBeGreaterThanOrEqual(4);
  });
});
