// The seed's point-in-time flow, command by command: `physical-backup --engine auto --output base/`,
// then `binlog-stream --output binlog/` with the default start, writes and DDL around three marked
// instants (a rotation among them), then `restore --from base/ --binlogs binlog/ --until ...` into
// fresh servers, each reproducing its instant exactly. And an archive started after the backup
// (--start current) is refused before anything is restored, saying what to do; --gtid with no
// --start covers the backup before it too; an archive with a hole before the target is refused
// before restoring as well.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { lastLine, runCli, startCli, type RunningCli } from "../fixtures/cli/run-cli";
import { serverPosition, waitCliArchiverCaughtUp } from "../helpers/binlog";
import { checksums } from "../helpers/runs";

const caughtUp = (run: RunningCli) => waitCliArchiverCaughtUp(sb, run);

let sb: Sandbox;
let work: string;
const conn = (s: Sandbox) => ["--host", "127.0.0.1", "--port", String(s.port), "--user", "root"];
const base = () => path.join(work, "base");
const archive = () => path.join(work, "binlog");

type Mark = { time: string; gtid: string; position: string; state: Record<string, string> };
const marks: Record<"T1" | "T2" | "T3", Mark> = {} as never;

/** CHECKSUM TABLE EXTENDED, row count and SHOW CREATE TABLE of every table of `shop`. */
async function state(s: Sandbox): Promise<Record<string, string>> {
  const out = await checksums((q, p) => s.sql(q, p), "shop");
  for (const t of Object.keys(out)) {
    const [c] = await s.sql<{ "Create Table": string }>(`SHOW CREATE TABLE shop.\`${t}\``);
    out[`${t} definition`] = c!["Create Table"].replace(/ AUTO_INCREMENT=\d+/, "");
  }
  return out;
}

/** Marks the instant after the last commit: a whole second no later commit shares. */
async function mark(): Promise<Mark> {
  const st = await state(sb);
  const [g] = await sb.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
  const p = await serverPosition(sb);
  const next = Math.ceil(Date.now() / 1000);
  await new Promise((r) => setTimeout(r, next * 1000 - Date.now() + 150));
  return { time: new Date((next - 1) * 1000).toISOString(), gtid: g!.g, position: `${p.file}:${p.position}`, state: st };
}

async function writeOrders(n: number, tag: string) {
  for (let i = 0; i < n; i++) {
    await sb.sql("START TRANSACTION; INSERT INTO shop.orders (customer, total, note) VALUES (?, ?, ?); UPDATE shop.customers SET spent = spent + ? WHERE id = ?; COMMIT", [1 + (i % 50), i + 0.5, `${tag}-${i}`, i + 0.5, 1 + (i % 50)]);
  }
}

/** A fresh server, the restore into it, and what it holds afterwards; the server is stopped. */
async function restoreInto(args: string[]): Promise<{ code: number | null; stderr: string; state: Record<string, string> | null; databases: string[]; positionBefore: string; positionAfter: string }> {
  const fresh = await startSandbox();
  try {
    const dbs = async () => (await fresh.sql<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA ORDER BY 1")).map((r) => r.n);
    const pos = async () => {
      const p = await serverPosition(fresh);
      return `${p.file}:${p.position}`;
    };
    const positionBefore = await pos();
    const before = await dbs();
    const r = await runCli(["restore", "--from", base(), ...conn(fresh), "--binlogs", archive(), ...args]);
    const after = await dbs();
    return { code: r.code, stderr: r.stderr, state: after.includes("shop") ? await state(fresh) : null, databases: after.filter((d) => !before.includes(d)), positionBefore, positionAfter: await pos() };
  } finally {
    await fresh.stop();
  }
}

beforeAll(async () => {
  sb = await startSandbox();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-cli-seed-pitr-"));
  await sb.sql(`CREATE DATABASE shop;
    CREATE TABLE shop.customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(64) NOT NULL, spent DECIMAL(12,2) NOT NULL DEFAULT 0);
    CREATE TABLE shop.orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer INT NOT NULL, total DECIMAL(12,2) NOT NULL, note VARCHAR(100))`);
  for (let i = 1; i <= 50; i++) await sb.sql("INSERT INTO shop.customers (name) VALUES (?)", [`customer-${i}`]);
  // some history before the backup: the backup's coordinates are in the middle of a later binlog file
  await sb.sql("FLUSH BINARY LOGS");
  await writeOrders(30, "history");

  const b = await runCli(["physical-backup", "--engine", "auto", ...conn(sb), "--output", base(), "-q"]);
  expect(b.code, b.stderr).toBe(0);
  await writeOrders(20, "after-backup-before-archiver");

  // the archiver as the seed starts it: no --start
  const run = startCli(["binlog-stream", ...conn(sb), "--output", archive(), "--json"]);
  try {
    await caughtUp(run);
    await writeOrders(40, "t1");
    await sb.sql("DELETE FROM shop.orders WHERE id % 7 = 0");
    marks.T1 = await mark();

    await sb.sql("ALTER TABLE shop.orders ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'new'");
    await sb.sql("CREATE TABLE shop.refunds (id INT PRIMARY KEY AUTO_INCREMENT, order_id BIGINT NOT NULL, amount DECIMAL(12,2) NOT NULL)");
    await sb.sql("INSERT INTO shop.refunds (order_id, amount) SELECT id, total / 2 FROM shop.orders WHERE id % 5 = 0");
    await sb.sql("UPDATE shop.orders SET status = 'refunded' WHERE id % 5 = 0");
    marks.T2 = await mark();

    await sb.sql("FLUSH BINARY LOGS");
    await writeOrders(25, "t3");
    await sb.sql("UPDATE shop.refunds SET amount = amount + 1 WHERE id % 2 = 0");
    marks.T3 = await mark();

    // after T3: none of this may appear in any restore
    await sb.sql("TRUNCATE TABLE shop.refunds");
    await writeOrders(10, "late");
    await caughtUp(run);
  } finally {
    run.child.kill("SIGTERM");
  }
  const r = await run.done;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/Starting a new binlog archive .* at binlog\.000001:4/);
}, 240_000);

afterAll(async () => {
  await sb?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe("the seed's flow: physical-backup, binlog-stream with defaults, restore --binlogs --until", () => {
  it("the marked instants differ from each other and from the end", { timeout: 240_000 }, async () => {
    const end = await state(sb);
    const all = [marks.T1.state, marks.T2.state, marks.T3.state, end].map((s) => JSON.stringify(s));
    expect(new Set(all).size).toBe(4);
    expect(marks.T1.state["refunds definition"]).toBeUndefined();
    expect(marks.T2.state["orders definition"]).toMatch(/`status` varchar\(16\)/);
  });

  it("--until T1 (a time, before the DDL) reproduces T1", { timeout: 240_000 }, async () => {
    const r = await restoreInto(["--until", marks.T1.time, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.state).toEqual(marks.T1.state);
  });

  it("--until T2 (a time, after ALTER TABLE and CREATE TABLE) reproduces T2", { timeout: 240_000 }, async () => {
    const r = await restoreInto(["--until", marks.T2.time, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.state).toEqual(marks.T2.state);
  });

  it("T3 (after a rotation) by time, by GTID and by position", { timeout: 240_000 }, async () => {
    for (const args of [["--until", marks.T3.time], ["--until-gtid", marks.T3.gtid], ["--until-position", marks.T3.position]]) {
      const r = await restoreInto([...args, "-q"]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      expect(r.state, args.join(" ")).toEqual(marks.T3.state);
    }
  });
});

describe("an archive that does not reach back to the base backup", () => {
  it("is refused before anything is restored, with what to do", { timeout: 240_000 }, async () => {
    const late = path.join(work, "binlog-late");
    const b2 = path.join(work, "base2");
    const b = await runCli(["physical-backup", "--engine", "auto", ...conn(sb), "--output", b2, "-q"]);
    expect(b.code, b.stderr).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(b2, "manifest.json"), "utf8")) as { coordinates: { file: string; position: number } };
    await writeOrders(15, "before-late-archiver");
    const run = startCli(["binlog-stream", ...conn(sb), "--output", late, "--start", "current", "--server-id", "99901", "--json"]);
    try {
      await caughtUp(run);
      await writeOrders(10, "late-archived");
      await caughtUp(run);
    } finally {
      run.child.kill("SIGTERM");
    }
    expect((await run.done).code).toBe(0);
    const until = new Date(Math.ceil(Date.now() / 1000) * 1000).toISOString();

    const fresh = await startSandbox();
    try {
      const before = await fresh.sql<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA ORDER BY 1");
      const posBefore = await serverPosition(fresh);
      const r = await runCli(["restore", "--from", b2, ...conn(fresh), "--binlogs", late, "--until", until]);
      expect(r.code).toBe(1);
      const coords = `${manifest.coordinates.file}:${manifest.coordinates.position}`;
      const line = lastLine(r.stderr);
      expect(line).toMatch(new RegExp(`^dbbackup: The archive holds ${manifest.coordinates.file.replace(".", "\\.")} only from position \\d+, after the base backup's coordinates ${coords.replace(".", "\\.")}`));
      expect(line).toContain("Nothing was restored");
      expect(line).toContain(`binlog-stream --start ${manifest.coordinates.file}:4`);
      expect(line).toContain("--start oldest");
      expect(line).toContain("take a new base backup");
      // nothing was created, and nothing at all was written to the target
      expect(await fresh.sql("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA ORDER BY 1")).toEqual(before);
      expect(await serverPosition(fresh)).toEqual(posBefore);
      expect(r.stderr).not.toMatch(/Restoring /);

      // following the advice: an archive from the backup's coordinates makes the same restore work
      const fixed = path.join(work, "binlog-fixed");
      const again = startCli(["binlog-stream", ...conn(sb), "--output", fixed, "--start", `${manifest.coordinates.file}:4`, "--server-id", "99902", "--json"]);
      try {
        await caughtUp(again);
      } finally {
        again.child.kill("SIGTERM");
      }
      expect((await again.done).code).toBe(0);
      const ok = await runCli(["restore", "--from", b2, ...conn(fresh), "--binlogs", fixed, "--until", until, "-q"]);
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      await fresh.stop();
    }
  });
});

describe("binlog-stream --gtid with no --start", () => {
  it("starts at the GTID position of the server's oldest binlog, so it covers the base backup taken before it", { timeout: 240_000 }, async () => {
    const b3 = path.join(work, "base3");
    const b = await runCli(["physical-backup", "--engine", "auto", ...conn(sb), "--output", b3, "-q"]);
    expect(b.code, b.stderr).toBe(0);
    await writeOrders(10, "before-gtid-archiver");
    // the oldest binlog left starts after some GTIDs (binlog.000001 of a new server starts with none)
    const files = (await sb.sql<{ Log_name: string }>("SHOW BINARY LOGS")).map((r) => r.Log_name);
    await sb.sql(`PURGE BINARY LOGS TO '${files[1]}'`);
    expect((await sb.sql<{ Log_name: string }>("SHOW BINARY LOGS"))[0]!.Log_name).toBe(files[1]);
    const [g] = await sb.sql<{ g: string }>(`SELECT BINLOG_GTID_POS('${files[1]}', 4) AS g`);
    expect(g!.g).toMatch(/^\d+-\d+-\d+/);

    const gtidArchive = path.join(work, "binlog-gtid");
    const run = startCli(["binlog-stream", ...conn(sb), "--gtid", "--output", gtidArchive, "--server-id", "99903", "--json"]);
    let until: Mark;
    try {
      await caughtUp(run);
      await writeOrders(12, "gtid-archived");
      until = await mark();
      await writeOrders(3, "after-gtid-mark");
      await caughtUp(run);
    } finally {
      run.child.kill("SIGTERM");
    }
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Starting a new binlog archive in ${path.join(gtidArchive, ".dbbackup-work")} at GTID ${g!.g}.`);

    const fresh = await startSandbox();
    try {
      const ok = await runCli(["restore", "--from", b3, ...conn(fresh), "--binlogs", gtidArchive, "--until-gtid", until!.gtid, "-q"]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(await state(fresh)).toEqual(until!.state);
    } finally {
      await fresh.stop();
    }
  });
});

describe("an archive with a hole between the base backup and the target", () => {
  it("is refused before anything is restored, naming the hole and the latest reachable point", { timeout: 240_000 }, async () => {
    const b4 = path.join(work, "base4");
    const holed = path.join(work, "binlog-holed");
    const run = startCli(["binlog-stream", ...conn(sb), "--output", holed, "--server-id", "99904", "--json"]);
    let target: Mark;
    let lost: string;
    try {
      await caughtUp(run);
      const b = await runCli(["physical-backup", "--engine", "auto", ...conn(sb), "--output", b4, "-q"]);
      expect(b.code, b.stderr).toBe(0);
      await writeOrders(5, "hole-1");
      await sb.sql("FLUSH BINARY LOGS");
      lost = (await serverPosition(sb)).file;
      await writeOrders(5, "hole-2");
      await sb.sql("FLUSH BINARY LOGS");
      await writeOrders(5, "hole-3");
      target = await mark();
      await caughtUp(run);
    } finally {
      run.child.kill("SIGTERM");
    }
    expect((await run.done).code).toBe(0);
    // a file's segments lost from the archive
    const gone = fs.readdirSync(holed).filter((n) => n.startsWith(`${lost!}.`));
    expect(gone.length).toBeGreaterThanOrEqual(2);
    for (const n of gone) fs.rmSync(path.join(holed, n));

    const fresh = await startSandbox();
    try {
      const before = await fresh.sql("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA ORDER BY 1");
      const posBefore = await serverPosition(fresh);
      for (const args of [["--until-gtid", target!.gtid], ["--until", target!.time]]) {
        const r = await runCli(["restore", "--from", b4, ...conn(fresh), "--binlogs", holed, ...args]);
        expect(r.code, r.stderr).toBe(1);
        expect(lastLine(r.stderr)).toMatch(/^dbbackup: The archive at .* has a gap after binlog\.\d+:\d+ .*before .*Nothing was restored\. The latest point this backup reaches is binlog\.\d+:\d+/);
      }
      expect(await fresh.sql("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA ORDER BY 1")).toEqual(before);
      expect(await serverPosition(fresh)).toEqual(posBefore);
    } finally {
      await fresh.stop();
    }
  });
});
