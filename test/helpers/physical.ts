// Shared parts of the physical engine tests: a real Btrfs volume on a loop device, a sample
// database with every kind of table, a write workload, and checksum comparisons.
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { BackupSetWriter, type SetEncoding } from "../../server/artifact/backup-set";
import { keyId } from "../../server/artifact/encryption";
import { MANIFEST_FORMAT, type Manifest } from "../../server/artifact/manifest";
import type { BackupEngine, BackupOutcome } from "../../server/engines/types";
import type { Progress, WorkContext } from "../../server/work-context";
import { introspectServer } from "../../server/mysql/introspect";
import type { ServerAddress } from "../../server/mysql/connection-options";
import type { Sandbox } from "../../server/mysql/sandbox";
import type { ServerFacts } from "../../server/mysql/server-facts";
import type { ObjectStore } from "../../server/storage/object-store";

const run = promisify(execFile);

export type TestContext = WorkContext & { logs: string[]; last: Progress; controller: AbortController };

/** A WorkContext that records logs and progress; onProgress can abort mid-way. */
export function testContext(onProgress?: (p: Progress, ctx: TestContext) => void): TestContext {
  const controller = new AbortController();
  const ctx: TestContext = {
    controller,
    signal: controller.signal,
    logs: [],
    last: { phase: "start" },
    progress(p) {
      ctx.last = { ...ctx.last, ...p };
      onProgress?.(ctx.last, ctx);
    },
    log(level, message) {
      ctx.logs.push(`${level}: ${message}`);
    },
  };
  return ctx;
}

/** A Btrfs filesystem in a file, loop-mounted (needs root and btrfs-progs). */
export async function createBtrfsVolume(sizeGb = 2) {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-btrfs-"));
  const img = path.join(base, "fs.img");
  const mnt = path.join(base, "mnt");
  await run("truncate", ["-s", `${sizeGb}G`, img]);
  await run("mkfs.btrfs", ["-q", img]);
  await fs.mkdir(mnt);
  await run("mount", ["-o", "loop", img, mnt]);
  return {
    base,
    mnt,
    async subvolume(name: string) {
      const p = path.join(mnt, name);
      await run("btrfs", ["subvolume", "create", p]);
      return p;
    },
    /** Paths of every subvolume and snapshot on the filesystem. */
    async subvolumes(): Promise<string[]> {
      const { stdout } = await run("btrfs", ["subvolume", "list", mnt]);
      return stdout.split("\n").filter(Boolean).map((l) => l.replace(/^.* path /, ""));
    },
    async destroy() {
      await run("umount", [mnt]).catch(async () => {
        await new Promise((r) => setTimeout(r, 1000));
        await run("umount", ["-l", mnt]);
      });
      // mount -o loop sets autoclear: the loop device goes with the mount; make sure
      const { stdout } = await run("losetup", ["-j", img]).catch(() => ({ stdout: "" }));
      for (const line of stdout.split("\n").filter(Boolean)) await run("losetup", ["-d", line.split(":")[0]!]).catch(() => undefined);
      await fs.rm(base, { recursive: true, force: true });
    },
  };
}

/**
 * Sample data: InnoDB (with JSON, decimals, blobs, unicode), Aria and MyISAM tables, a view, a
 * trigger, a procedure, and the workload tables `orders` and `counters`.
 */
export async function seedSample(sb: Sandbox, rows = 2000) {
  await sb.sql(`
    CREATE DATABASE shop CHARACTER SET utf8mb4;
    CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(100), email VARCHAR(200), balance DECIMAL(12,2), meta JSON, photo BLOB, created DATETIME(6)) ENGINE=InnoDB;
    CREATE TABLE shop.products (id INT PRIMARY KEY, title VARCHAR(200), price DECIMAL(10,2)) ENGINE=Aria;
    CREATE TABLE shop.legacy (id INT PRIMARY KEY, note TEXT) ENGINE=MyISAM;
    CREATE TABLE shop.orders (id INT PRIMARY KEY, customer_id INT, amount DECIMAL(12,2), note VARCHAR(200), KEY (customer_id)) ENGINE=InnoDB;
    CREATE TABLE shop.counters (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB;
    CREATE TABLE shop.markers (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(100), at DATETIME(6)) ENGINE=InnoDB;
    INSERT INTO shop.counters VALUES (1, 0);
    CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE amount > 100;
    CREATE TRIGGER shop.legacy_touch BEFORE INSERT ON shop.legacy FOR EACH ROW SET NEW.note = CONCAT(NEW.note, '');
    CREATE PROCEDURE shop.order_count() SELECT COUNT(*) FROM shop.orders;
    CREATE DATABASE crm;
    CREATE TABLE crm.notes (id BIGINT PRIMARY KEY, body MEDIUMTEXT, tags SET('a','b','c'), score DOUBLE, day DATE) ENGINE=InnoDB;
    CREATE TABLE crm.attachments (id INT PRIMARY KEY, data VARBINARY(1024)) ENGINE=InnoDB;
  `);
  await sb.sql(
    `INSERT INTO shop.customers
       SELECT seq, CONCAT('Kunde ', seq, ' Jürgen 東京'), CONCAT('c', seq, '@example.test'), seq * 1.25, JSON_OBJECT('n', seq, 'vip', seq % 7 = 0),
              RANDOM_BYTES(64), '2026-01-01 00:00:00' + INTERVAL seq SECOND FROM shop.seq_1_to_${rows}`,
  );
  await sb.sql(`INSERT INTO shop.products SELECT seq, CONCAT('Product ', seq), seq / 3 FROM shop.seq_1_to_${Math.ceil(rows / 4)}`);
  await sb.sql(`INSERT INTO shop.legacy SELECT seq, REPEAT(CONCAT('legacy ', seq, ' '), 20) FROM shop.seq_1_to_${Math.ceil(rows / 4)}`);
  // incompressible bytes, so compressed archives still span several multipart parts
  await sb.sql(`INSERT INTO crm.attachments SELECT seq, RANDOM_BYTES(1024) FROM shop.seq_1_to_${rows * 3}`);
  await sb.sql(`INSERT INTO crm.notes SELECT seq, REPEAT(MD5(seq), 40), ELT(1 + seq % 3, 'a', 'b', 'a,c'), seq / 7, '2020-01-01' + INTERVAL seq DAY FROM shop.seq_1_to_${rows}`);
}

/** One writer committing `INSERT orders(i) + UPDATE counters SET n = i` transactions until stopped. */
export function startWriter(sb: Sandbox) {
  let stop = false;
  let committed = 0;
  let error: unknown = null;
  const done = (async () => {
    const c = await sb.connect();
    try {
      for (let i = 1; !stop; i++) {
        await c.query("BEGIN");
        await c.query("INSERT INTO shop.orders VALUES (?, ?, ?, ?)", [i, (i % 500) + 1, (i * 7.31) % 1000, `order ${i}`]);
        await c.query("UPDATE shop.counters SET n = ? WHERE id = 1", [i]);
        await c.query("COMMIT");
        committed = i;
      }
    } catch (e) {
      error = e;
    } finally {
      await c.end();
    }
  })();
  return {
    get committed() {
      return committed;
    },
    async stop() {
      stop = true;
      await done;
      if (error) throw error;
      return committed;
    },
  };
}

/** The GTID sequence number of domain 0 in a MariaDB gtid position ("0-1-42" -> 42). */
export function gtidSeq(gtid: string | null | undefined): number {
  const m = /(?:^|,)0-\d+-(\d+)/.exec(gtid ?? "");
  return m ? Number(m[1]) : 0;
}

/** CHECKSUM TABLE ... EXTENDED and COUNT(*) of every base table in the user databases. */
export async function tableStates(sb: Sandbox): Promise<Record<string, { checksum: string; rows: number }>> {
  const tables = await sb.sql<{ s: string; t: string }>(
    "SELECT TABLE_SCHEMA s, TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql','sys','information_schema','performance_schema') ORDER BY 1, 2",
  );
  const out: Record<string, { checksum: string; rows: number }> = {};
  for (const { s, t } of tables) {
    const [cs] = await sb.sql<{ Checksum: string }>(`CHECKSUM TABLE \`${s}\`.\`${t}\` EXTENDED`);
    const [cnt] = await sb.sql<{ n: string }>(`SELECT COUNT(*) AS n FROM \`${s}\`.\`${t}\``);
    out[`${s}.${t}`] = { checksum: String(cs!.Checksum), rows: Number(cnt!.n) };
  }
  return out;
}

/** Rolls the workload tables of the (stopped) source back to the state at `orders` id <= n. */
export async function rewindWorkload(sb: Sandbox, n: number) {
  await sb.sql(`DELETE FROM shop.orders WHERE id > ${n}; UPDATE shop.counters SET n = ${n} WHERE id = 1`);
}

export async function factsOf(sb: Sandbox): Promise<ServerFacts> {
  const c = await sb.connect();
  try {
    return await introspectServer(c as never, sb.address());
  } finally {
    await c.end();
  }
}

/** Runs an engine like the backup run does: objects through a set, then the manifest last. */
export async function runBackup(opts: {
  engine: BackupEngine;
  ctx: WorkContext;
  sb: Sandbox;
  store: ObjectStore;
  prefix: string;
  encoding: SetEncoding;
  options?: Record<string, unknown>;
  facts?: ServerFacts;
  parallel?: number;
  /** connect as another account than the sandbox's root */
  server?: ServerAddress;
}): Promise<{ manifest: Manifest; outcome: BackupOutcome; set: BackupSetWriter; ms: number }> {
  const facts = opts.facts ?? (await factsOf(opts.sb));
  const set = new BackupSetWriter(opts.store, opts.prefix, opts.encoding, { partSize: 5 * 1024 * 1024, workers: 3 });
  const id = opts.prefix.split("/").filter(Boolean).pop()!;
  const t0 = Date.now();
  let outcome: BackupOutcome;
  try {
    outcome = await opts.engine.backup(opts.ctx, {
      server: opts.server ?? opts.sb.address(),
      facts,
      hostName: "source",
      backupId: id,
      set,
      filter: {},
      parallel: opts.parallel ?? 2,
      options: opts.options,
    });
  } catch (e) {
    (e as { set?: BackupSetWriter }).set = set;
    throw e;
  }
  const { manifest } = await set.commit({
    ...outcome,
    format: MANIFEST_FORMAT,
    id,
    host: { name: "source" },
    compression: { algorithm: opts.encoding.compression },
    encryption: opts.encoding.key ? { algorithm: "AES-256-GCM-chunked", keyId: keyId(opts.encoding.key) } : null,
  });
  return { manifest, outcome, set, ms: Date.now() - t0 };
}

export async function pathExists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/**
 * Checks a restored server against the source at the backup's coordinates: the marker committed
 * before the backup is there, the workload's orders and counter agree with each other and with the
 * GTID position in the manifest, and after rewinding the (stopped) source's workload to that
 * point, every table matches by CHECKSUM TABLE EXTENDED and row count.
 */
export async function expectMatchesSourceAtCoordinates(opts: { source: Sandbox; restored: Sandbox; manifest: Manifest; gtidBefore: number; marker: string; binlogsRestored: boolean }) {
  const { source, restored, manifest } = opts;
  const inCopy = gtidSeq(manifest.coordinates!.gtid) - opts.gtidBefore;
  expect(inCopy).toBeGreaterThan(0);
  const [counter] = await restored.sql<{ n: string }>("SELECT n FROM shop.counters WHERE id = 1");
  const [orders] = await restored.sql<{ c: string; m: string | null }>("SELECT COUNT(*) c, MAX(id) m FROM shop.orders");
  expect(Number(counter!.n)).toBe(inCopy);
  expect(Number(orders!.c)).toBe(inCopy);
  expect(Number(orders!.m)).toBe(inCopy);
  expect((await restored.sql("SELECT label FROM shop.markers WHERE label = ?", [opts.marker])).length).toBe(1);
  if (opts.binlogsRestored) {
    const [{ rpos }] = await restored.sql<{ rpos: string }>("SELECT @@gtid_binlog_pos AS rpos");
    expect(rpos).toBe(manifest.coordinates!.gtid);
  }
  await rewindWorkload(source, inCopy);
  const want = await tableStates(source);
  const got = await tableStates(restored);
  expect(got).toEqual(want);
  expect(Object.keys(got).length).toBe(8);
  expect((await restored.sql("SHOW CREATE VIEW shop.big_orders")).length).toBe(1);
  expect((await restored.sql("SHOW TRIGGERS FROM shop")).length).toBe(1);
  expect((await restored.sql<{ n: string }>("SELECT COUNT(*) n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'shop'"))[0]!.n).toBe("1");
  return inCopy;
}

/** Empties the workload tables again for the next backup. */
export async function resetWorkload(sb: Sandbox) {
  await sb.sql("DELETE FROM shop.orders; UPDATE shop.counters SET n = 0 WHERE id = 1");
}

export type ScriptStep = { line: string; stdout?: string; stderr?: string; code?: number; effect?: () => Promise<void> | void };

/**
 * A CommandRunner that plays a recorded conversation: each call must be the next expected command
 * line (anything else gets exit 99 and is recorded, so the test's comparison of `calls` shows it),
 * answers with the recorded output, and may have an effect (e.g. "mount" fills the mount point).
 */
export class ScriptedRunner {
  readonly calls: string[] = [];
  constructor(private readonly steps: ScriptStep[]) {}
  async run(cmd: string, args: string[]) {
    const { commandLine } = await import("../../server/engines/snapshot/command-runner");
    const line = commandLine(cmd, args);
    this.calls.push(line);
    const step = this.steps[0];
    if (!step || step.line !== line) return { code: 99, stdout: "", stderr: `unexpected command: ${line} (expected ${step?.line ?? "nothing"})` };
    this.steps.shift();
    await step.effect?.();
    return { code: step.code ?? 0, stdout: step.stdout ?? "", stderr: step.stderr ?? "" };
  }
  get remaining() {
    return this.steps.map((s) => s.line);
  }
}
