import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import mysql from "mysql2/promise";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetWriter } from "../../server/artifact/backup-set";
import { dumpToSqlFile, logicalEngine } from "../../server/engines/logical";
import type { Progress } from "../../server/work-context";
import { DomainError } from "../../server/errors";
import type { ServerAddress } from "../../server/mysql/connection-options";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { LocalStore } from "../../server/storage/local-store";
import { useMariaDB } from "../helpers/mariadb";
import { factsOf, testContext } from "../helpers/logical";

const sb = await useMariaDB();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-logical-faults-"));
const store = new LocalStore(dir);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Enough data that a dump takes a while: about 100 MB of SQL. */
async function seed(s: Sandbox) {
  await s.sql(`CREATE DATABASE shop;
    CREATE TABLE shop.orders (id INT NOT NULL PRIMARY KEY, customer INT NOT NULL, body VARCHAR(400) NOT NULL);
    INSERT INTO shop.orders SELECT seq, seq % 1000, REPEAT(MD5(seq), 8) FROM shop.seq_1_to_300000;
    CREATE TABLE shop.customers (id INT NOT NULL PRIMARY KEY, name VARCHAR(50));
    INSERT INTO shop.customers SELECT seq, CONCAT('c', seq) FROM shop.seq_1_to_1000;
    CREATE VIEW shop.big_customers AS SELECT id, name FROM shop.customers WHERE id > 900;`);
}

beforeAll(async () => {
  await seed(sb);
  await sb.sql(`CREATE USER 'noreload'@'%' IDENTIFIED BY 'pw-noreload';
    GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON *.* TO 'noreload'@'%';
    CREATE USER 'noshowview'@'%' IDENTIFIED BY 'pw-noshowview';
    GRANT SELECT, TRIGGER, EVENT, RELOAD ON *.* TO 'noshowview'@'%';
    CREATE USER 'backup'@'%' IDENTIFIED BY 'pw-backup';
    GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, RELOAD, BINLOG MONITOR ON *.* TO 'backup'@'%';`);
}, 120_000);

const as = (s: Sandbox, user: string, password: string): ServerAddress => ({ ...s.address(), user, password });

function files(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function backup(s: Sandbox, id: string, opts: { address?: ServerAddress; filter?: object; parallel?: number; signal?: AbortSignal; onProgress?: (p: Partial<Progress>) => void; options?: Record<string, unknown> } = {}) {
  const facts = await factsOf(s);
  const set = new BackupSetWriter(store, `faults/${id}/`, { compression: "zstd", key: null });
  const { ctx } = testContext(opts.signal);
  ctx.progress = (p) => opts.onProgress?.(p);
  try {
    return await logicalEngine.backup(ctx, { server: opts.address ?? s.address(), facts, hostName: "faults", backupId: id, set, filter: opts.filter ?? {}, parallel: opts.parallel ?? 4, options: opts.options });
  } catch (e) {
    // what the runner does with a failed backup: abort the set, which removes every object
    await set.abort(e);
    throw e;
  }
}

async function failure(p: Promise<unknown>): Promise<DomainError> {
  const e = await p.then(
    () => null,
    (err) => err,
  );
  expect(e, "the backup should have failed").toBeInstanceOf(Error);
  return e as DomainError;
}

/** Connections of `user` still open on the server (waits up to 5 s for closed ones to go). */
async function openConnections(s: Sandbox, user: string): Promise<number> {
  let n = 0;
  for (let i = 0; i < 50; i++) {
    const rows = await s.sql<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ?", [user]);
    n = Number(rows[0]!.n);
    if (n === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

describe("bad input fails before anything is dumped", () => {
  it("an unknown database in the filter is named", async () => {
    const e = await failure(backup(sb, "f1", { filter: { databases: ["shop", "nope"] } }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toMatch(/`nope`/);
    expect(e.message).not.toMatch(/`shop`/);
    expect(files(dir)).toEqual([]);
  });

  it("an unknown table in the filter is named", async () => {
    const e = await failure(backup(sb, "f2", { filter: { tables: ["shop.orders", "shop.order_lines"] } }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toMatch(/`shop\.order_lines`/);
    expect(files(dir)).toEqual([]);
  });

  it("a missing RELOAD privilege is named with the GRANT that fixes it", async () => {
    const e = await failure(backup(sb, "f3", { address: as(sb, "noreload", "pw-noreload") }));
    expect(e.code).toBe("FORBIDDEN");
    expect(e.message).toContain("GRANT RELOAD ON *.* TO 'noreload'@'%';");
    expect(files(dir)).toEqual([]);
  });

  it("a missing SHOW VIEW privilege is named with the GRANT that fixes it", async () => {
    const e = await failure(backup(sb, "f4", { address: as(sb, "noshowview", "pw-noshowview") }));
    expect(e.code).toBe("FORBIDDEN");
    expect(e.message).toContain("GRANT SHOW VIEW ON `shop`.* TO 'noshowview'@'%';");
    expect(files(dir)).toEqual([]);
  });

  it("a dump by an account with exactly the documented privileges works", async () => {
    const out = await backup(sb, "ok", { address: as(sb, "backup", "pw-backup"), filter: { databases: ["shop"], excludeTables: ["shop.orders"] } });
    expect(out.databases[0]!.tables.map((t) => t.name)).toEqual(["customers"]);
    expect(out.databases[0]!.views).toEqual(["big_customers"]);
    await new LocalStore(dir).deletePrefix("faults/ok/");
  });
});

describe("faults during the dump", () => {
  it("a lock that cannot be had within lockWaitTimeoutSec fails (retryable) instead of waiting", async () => {
    const holder = await mysql.createConnection({ host: "127.0.0.1", port: sb.port, user: "root" });
    try {
      // another backup (e.g. mariabackup) holds the backup lock
      await holder.query("BACKUP STAGE START");
      const t0 = Date.now();
      const e = await failure(backup(sb, "lock", { options: { lockWaitTimeoutSec: 1 } }));
      expect(e).toBeInstanceOf(DomainError);
      expect(e.retryable).toBe(true);
      expect(e.message).toMatch(/Could not take the backup lock \(BACKUP STAGE START\) on 127\.0\.0\.1:\d+ within 1 s/);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(files(dir)).toEqual([]);
    } finally {
      await holder.query("BACKUP STAGE END");
      await holder.end();
    }
  });

  it("cancellation returns promptly, closes every connection, and the aborted set leaves nothing", async () => {
    const ac = new AbortController();
    let cancelledAt = 0;
    const p = backup(sb, "cancel", {
      address: as(sb, "backup", "pw-backup"),
      signal: ac.signal,
      onProgress: (pr) => {
        if ((pr.rowsDone ?? 0) > 0 && !cancelledAt) {
          cancelledAt = Date.now();
          ac.abort(new DomainError("UNAVAILABLE", "cancelled by the test"));
        }
      },
    });
    const e = await failure(p);
    expect(cancelledAt).toBeGreaterThan(0);
    expect(e.message).toBe("cancelled by the test");
    // "promptly": well under the time the dump would take
    expect(Date.now() - cancelledAt).toBeLessThan(3000);
    expect(files(dir)).toEqual([]);
    expect(await openConnections(sb, "backup")).toBe(0);
  });

  it("cancelling a single-file dump leaves no file and no connection", async () => {
    const ac = new AbortController();
    const { ctx } = testContext(ac.signal);
    ctx.progress = (pr) => {
      if ((pr.rowsDone ?? 0) > 0) ac.abort();
    };
    const e = await failure(
      dumpToSqlFile(ctx, { server: as(sb, "backup", "pw-backup"), facts: await factsOf(sb), store, key: "faults/file.sql.zst", compression: "zstd", filter: {}, parallel: 4, hostName: "faults", backupId: "file" }),
    );
    expect(e.name).toBe("AbortError");
    expect(files(dir)).toEqual([]);
    expect(await openConnections(sb, "backup")).toBe(0);
  });

  it("a server killed mid-dump fails the backup with the lost connection and the table it was reading", async () => {
    // its own server (started here, removed at the end: useMariaDB registers hooks and is for top level)
    const doomed = await startSandbox();
    let killing: Promise<void> | null = null;
    let e: DomainError;
    try {
      await seed(doomed);
      e = await failure(
        backup(doomed, "killed", {
          onProgress: (pr) => {
            if ((pr.rowsDone ?? 0) > 0 && !killing) killing = doomed.kill();
          },
        }),
      );
      await killing;
    } finally {
      await doomed.stop();
    }
    expect(e.code).toBe("UNAVAILABLE");
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/The connection to 127\.0\.0\.1:\d+ was lost while dumping .*`shop`\.`orders` chunk \d+\/\d+/);
    expect(files(dir)).toEqual([]);
  }, 120_000);
});
