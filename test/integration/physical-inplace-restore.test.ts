// Restoring a physical backup over a server's own datadir, on a real MariaDB: stop (SHUTDOWN),
// old datadir moved aside, restored datadir in place, started with a start command, data checked;
// and a start that fails puts the old datadir back and starts it again.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { createMariabackupEngine } from "../../server/engines/mariabackup/mariabackup-engine";
import { connectServer } from "../../server/mysql/connect";
import { freePort, startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { findTool } from "../../server/mysql/tools";
import { restorePhysicalInPlace } from "../../server/restore/physical/restore-in-place";
import { LocalStore } from "../../server/storage/local-store";
import { runBackup, seedSample, tableStates, testContext } from "../helpers/physical";

const run = promisify(execFile);
let work: string;
let sb: Sandbox;
let store: LocalStore;
let port: number;
let failFlag: string;
let startScript: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-phys-inplace-"));
  port = await freePort();
  sb = await startSandbox({ dir: path.join(work, "server"), port });
  await seedSample(sb, 1000);
  store = new LocalStore(path.join(work, "store"));
  failFlag = path.join(work, "fail-next-start");
  // What `systemctl start mariadb` does for this server: start mariadbd in the background and return.
  // With the flag file present, the server is started with a broken option and dies at once.
  const args = [
    "--no-defaults", `--datadir=${sb.datadir}`, `--port=${port}`, `--socket=${sb.socket}`, "--bind-address=127.0.0.1", `--server-id=${sb.serverId}`,
    `--log-error=${sb.errorLog}`, `--pid-file=${path.join(sb.dir, "mysqld.pid")}`, "--skip-name-resolve", "--innodb-buffer-pool-size=128M",
    "--innodb-log-file-size=64M", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci", "--user=root",
    `--log-bin=${path.join(sb.datadir, "binlog")}`, "--binlog-format=ROW",
  ].join(" ");
  startScript = path.join(work, "start-server.sh");
  await fs.writeFile(
    startScript,
    `#!/bin/sh\nEXTRA=\nif [ -e ${failFlag} ]; then rm -f ${failFlag}; EXTRA=--no-such-option-breaks-startup; fi\nnohup ${findTool("mariadbd", "mysqld")} ${args} $EXTRA >/dev/null 2>&1 &\nexit 0\n`,
    { mode: 0o755 },
  );
}, 120_000);

afterAll(async () => {
  // the server now runs detached from the start script: stop it by SQL
  const c = await connectServer(sb.address()).catch(() => null);
  if (c) {
    const pid = Number((await fs.readFile(path.join(sb.dir, "mysqld.pid"), "utf8").catch(() => "0")).trim());
    await c.query("SHUTDOWN").catch(() => undefined);
    c.destroy();
    for (let i = 0; i < 200 && pid && (await run("kill", ["-0", String(pid)]).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  }
  await sb.stop().catch(() => undefined);
  await fs.rm(work, { recursive: true, force: true });
}, 60_000);

async function siblings(kind: string) {
  return (await fs.readdir(path.dirname(sb.datadir))).filter((n) => n.startsWith(`data.${kind}-`));
}

describe("physical restore in place", () => {
  let atBackup: Awaited<ReturnType<typeof tableStates>>;
  let prefix: string;

  beforeAll(async () => {
    prefix = "source/b-inplace/";
    await runBackup({ engine: createMariabackupEngine(), ctx: testContext(), sb, store, prefix, encoding: { compression: "zstd", key: null } });
    atBackup = await tableStates(sb);
    // life goes on after the backup
    await sb.sql("INSERT INTO shop.orders VALUES (1, 1, 9.99, 'after backup'); DROP TABLE crm.notes; CREATE DATABASE after_backup");
  }, 120_000);

  it("refuses without the admin's confirmation and a start command, and cannot rename databases", async () => {
    const reader = await BackupSetReader.open(store, prefix);
    const base = { reader, target: sb.address(), rename: {}, parallel: 1, dropExisting: true };
    await expect(restorePhysicalInPlace(testContext(), { ...base })).rejects.toThrow(/replaces the target's datadir.*inPlace: true.*startCommand/);
    await expect(restorePhysicalInPlace(testContext(), { ...base, options: { inPlace: true, startCommand: startScript }, rename: { shop: "shop2" } })).rejects.toThrow(/cannot be renamed/);
    await expect(restorePhysicalInPlace(testContext(), { ...base, target: { ...sb.address(), host: "192.0.2.10" }, options: { inPlace: true, startCommand: startScript } })).rejects.toThrow(/not on this machine/);
    expect(await siblings("restore")).toEqual([]);
    expect((await sb.sql("SHOW DATABASES LIKE 'after_backup'")).length).toBe(1); // untouched
  });

  it("stops the server, keeps the old datadir aside, puts the restored one in place and starts it with the start command", async () => {
    const reader = await BackupSetReader.open(store, prefix);
    const ctx = testContext();
    const out = await restorePhysicalInPlace(ctx, { reader, target: sb.address(), rename: {}, parallel: 1, dropExisting: true, options: { inPlace: true, startCommand: startScript, startTimeoutSeconds: 60 } });
    expect(out.databases).toEqual(["crm", "shop"]);
    // the server answers, with exactly the data of the backup
    expect(await tableStates(sb)).toEqual(atBackup);
    expect((await sb.sql("SHOW DATABASES LIKE 'after_backup'")).length).toBe(0);
    // the old datadir is kept, never deleted
    const aside = await siblings("before-restore");
    expect(aside).toHaveLength(1);
    expect(out.details?.previousDatadir).toBe(path.join(path.dirname(sb.datadir), aside[0]!));
    expect(await fs.readdir(path.join(path.dirname(sb.datadir), aside[0]!))).toContain("after_backup");
    expect(await siblings("restore")).toEqual([]);
    expect(ctx.logs.join("\n")).toMatch(/previous datadir is kept in .*data\.before-restore-/);
  }, 120_000);

  it("a server that does not come up on the restored datadir: the old datadir is put back and started again", async () => {
    await sb.sql("CREATE DATABASE second_life; CREATE TABLE second_life.t (id INT PRIMARY KEY); INSERT INTO second_life.t VALUES (1), (2)");
    const before = await tableStates(sb);
    await new Promise((r) => setTimeout(r, 1100)); // a new timestamp for the new directories
    const reader = await BackupSetReader.open(store, prefix);
    await fs.writeFile(failFlag, "");
    const err = await restorePhysicalInPlace(testContext(), { reader, target: sb.address(), rename: {}, parallel: 1, dropExisting: true, options: { inPlace: true, startCommand: startScript, startTimeoutSeconds: 8 } }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/failed while starting the server: .*did not accept connections within 8 s.*The previous datadir was put back at .* and the server is running on it again; the restored files are kept in .*data\.failed-restore-/);
    // running again, on the data it had before the attempt
    expect(await tableStates(sb)).toEqual(before);
    expect((await sb.sql("SELECT COUNT(*) AS n FROM second_life.t"))[0]).toEqual({ n: "2" });
    expect(await siblings("failed-restore")).toHaveLength(1);
    expect(await siblings("before-restore")).toHaveLength(1); // only the one from the successful restore
  }, 120_000);
});
