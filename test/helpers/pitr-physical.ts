// Shared by the point-in-time tests from physical bases (pitr-physical, pitr-incremental): a target
// server that is started the way `systemctl start mariadb` does it (a start script that leaves
// mariadbd running in the background), the source's sample data, and the changes around a marked
// instant that a restore must reproduce exactly.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { connectServer } from "../../server/mysql/connect";
import { freePort, startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { findTool } from "../../server/mysql/tools";
import { fingerprint, mark, shipEverything, type Mark } from "./pitr";
import { sleep } from "./runs";

const run = promisify(execFile);

export type DetachedTarget = { work: string; dst: Sandbox; startScript: string; stop: () => Promise<void> };

/** A sandbox target plus the script an in-place restore starts it with; `stop` shuts it down by SQL. */
export async function detachedTarget(prefix: string): Promise<DetachedTarget> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const port = await freePort();
  const dst = await startSandbox({ dir: path.join(work, "server"), port });
  const args = [
    "--no-defaults", `--datadir=${dst.datadir}`, `--port=${port}`, `--socket=${dst.socket}`, "--bind-address=127.0.0.1", `--server-id=${dst.serverId}`,
    `--log-error=${dst.errorLog}`, `--pid-file=${path.join(dst.dir, "mysqld.pid")}`, "--skip-name-resolve", "--innodb-buffer-pool-size=128M",
    "--innodb-log-file-size=64M", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci", "--user=root",
    `--log-bin=${path.join(dst.datadir, "binlog")}`, "--binlog-format=ROW",
  ].join(" ");
  const startScript = path.join(work, "start-target.sh");
  await fs.writeFile(startScript, `#!/bin/sh\nnohup ${findTool("mariadbd", "mysqld")} ${args} >/dev/null 2>&1 &\nexit 0\n`, { mode: 0o755 });
  const stop = async () => {
    // after an in-place restore the target runs detached from the start script: stop it by SQL
    const c = await connectServer(dst.address()).catch(() => null);
    if (c) {
      const pid = Number((await fs.readFile(path.join(dst.dir, "mysqld.pid"), "utf8").catch(() => "0")).trim());
      await c.query("SHUTDOWN").catch(() => undefined);
      c.destroy();
      for (let i = 0; i < 200 && pid && (await run("kill", ["-0", String(pid)]).then(() => true, () => false)); i++) await sleep(100);
    }
    await dst.stop().catch(() => undefined);
    await fs.rm(work, { recursive: true, force: true });
  };
  return { work, dst, startScript, stop };
}

/** The source's sample: shop.orders (2,000 rows, JSON, DATETIME(6)) and crm.contacts (100 rows). */
export async function seedShopCrm(src: Sandbox) {
  await src.sql(`CREATE DATABASE shop; CREATE DATABASE crm;
    CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, amount DECIMAL(10,2), placed DATETIME(6), meta JSON);
    CREATE TABLE crm.contacts (id INT PRIMARY KEY, name VARCHAR(50));
    INSERT INTO shop.orders (amount, placed, meta) SELECT seq / 4, '2026-01-01' + INTERVAL seq MINUTE, JSON_OBJECT('n', seq) FROM shop.seq_1_to_2000;
    INSERT INTO crm.contacts SELECT seq, CONCAT('c', seq) FROM crm.seq_1_to_100;`);
}

/**
 * After the base backup: DML and DDL, the marked instant (a whole second; shop's state and crm's
 * fingerprint), then changes a restore to that instant must not replay; everything shipped.
 */
export async function changesAroundMark(src: Sandbox, hostId: string): Promise<{ m: Mark; crmAtMark: Record<string, string> }> {
  await sleep(1100);
  await src.sql("UPDATE shop.orders SET amount = amount * 2 WHERE id % 3 = 0; DELETE FROM crm.contacts WHERE id > 90; ALTER TABLE shop.orders ADD COLUMN paid BOOL DEFAULT 0; INSERT INTO shop.orders (amount, paid) VALUES (42, 1)");
  const m = await mark(src, "after the physical backup", new Date(Math.floor(Date.now() / 1000) * 1000), "shop");
  const crmAtMark = await fingerprint(src, "crm");
  await sleep(1100);
  await src.sql("INSERT INTO shop.orders (amount) VALUES (-1); DROP TABLE crm.contacts");
  await shipEverything(src, hostId);
  return { m, crmAtMark };
}
