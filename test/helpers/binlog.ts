import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { listArchivedSegments, openArchivedFile } from "../../server/binlog/archive-reader";
import type { ArchiverStatus } from "../../server/binlog/archiver-types";
import type { WorkContext } from "../../server/work-context";
import type { Sandbox } from "../../server/mysql/sandbox";
import type { ObjectStore } from "../../server/storage/object-store";
import type { RunningCli } from "../fixtures/cli/run-cli";

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** A WorkContext that keeps the log and the progress it was given. */
export function testContext(signal: AbortSignal): WorkContext & { logs: { level: string; message: string }[] } {
  const logs: { level: string; message: string }[] = [];
  return {
    signal,
    logs,
    progress: () => undefined,
    log: (level, message) => {
      logs.push({ level, message });
    },
  };
}

export async function serverPosition(sb: Sandbox): Promise<{ file: string; position: number }> {
  const [r] = await sb.sql<{ File: string; Position: string }>("SHOW MASTER STATUS");
  return { file: r!.File, position: Number(r!.Position) };
}

/**
 * MariaDB writes a BINLOG_CHECKPOINT event naming the current file about a second after a rotation
 * (once InnoDB has made the older file's commits durable). It lands after whatever was written in
 * the meantime, moving the server's position past the last transaction, so a test that compares
 * exact positions waits for it first.
 */
export async function waitBinlogCheckpoint(sb: Sandbox, timeoutMs = 30_000) {
  await waitFor(
    "the server to write the binlog checkpoint of its current file",
    async () => {
      const { file } = await serverPosition(sb);
      const events = await sb.sql<{ Event_type: string; Info: string }>(`SHOW BINLOG EVENTS IN '${file}'`);
      return events.filter((e) => e.Event_type === "Binlog_checkpoint").pop()?.Info === file;
    },
    timeoutMs,
    100,
  );
}

/** Waits until the archive's durable position equals the server's and stays there for a moment. */
export async function waitCaughtUp(sb: Sandbox, status: () => ArchiverStatus | null, timeoutMs = 60_000) {
  await waitBinlogCheckpoint(sb, timeoutMs);
  let stableSince = 0;
  await waitFor(
    "the archiver to catch up with the server",
    async () => {
      const s = status();
      const p = await serverPosition(sb);
      const same = !!s && s.file === p.file && s.position === p.position;
      if (!same) stableSince = 0;
      else if (!stableSince) stableSince = Date.now();
      // and nothing else trails in: wait for quiet
      return same && Date.now() - stableSince > 700;
    },
    timeoutMs,
    100,
  );
}

export async function sha256File(p: string): Promise<string> {
  const h = crypto.createHash("sha256");
  for await (const c of fs.createReadStream(p)) h.update(c as Buffer);
  return h.digest("hex");
}

async function sha256Stream(r: NodeJS.ReadableStream): Promise<{ sha256: string; bytes: number }> {
  const h = crypto.createHash("sha256");
  let bytes = 0;
  for await (const c of r) {
    h.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha256: h.digest("hex"), bytes };
}

export async function serverBinlogFiles(sb: Sandbox): Promise<string[]> {
  const rows = await sb.sql<{ Log_name: string }>("SHOW BINARY LOGS");
  return rows.map((r) => r.Log_name);
}

/** For every binlog file the server has, the sha256 of its own copy and of the archive's reassembled one. */
export async function compareArchiveWithServer(sb: Sandbox, store: ObjectStore, prefix: string) {
  const segments = await listArchivedSegments(store, prefix);
  const out: { file: string; server: string; archive: string; size: number; segments: number }[] = [];
  for (const file of await serverBinlogFiles(sb)) {
    const server = await sha256File(path.join(sb.datadir, file));
    let archive = "missing";
    try {
      archive = (await sha256Stream(await openArchivedFile(store, segments, file))).sha256;
    } catch (e) {
      archive = `error: ${(e as Error).message}`;
    }
    out.push({ file, server, archive, size: fs.statSync(path.join(sb.datadir, file)).size, segments: segments.filter((s) => s.file === file).length });
  }
  return out;
}

/** Writes the archive's copy of `file` to `dest` (for mariadb-binlog and readEvents). */
export async function extractArchivedFile(store: ObjectStore, prefix: string, file: string, dest: string) {
  const segments = await listArchivedSegments(store, prefix);
  const r = await openArchivedFile(store, segments, file);
  await fs.promises.writeFile(dest, r);
}

export async function setupWorkloadSchema(sb: Sandbox) {
  await sb.sql(`CREATE DATABASE IF NOT EXISTS wl;
    CREATE TABLE wl.accounts (id INT PRIMARY KEY AUTO_INCREMENT, owner VARCHAR(64) NOT NULL, balance DECIMAL(12,2) NOT NULL, note TEXT) ENGINE=InnoDB;
    CREATE TABLE wl.audit (id BIGINT PRIMARY KEY AUTO_INCREMENT, account INT, delta DECIMAL(12,2), at DATETIME(6)) ENGINE=InnoDB;
    CREATE TABLE wl.blobs (id INT PRIMARY KEY AUTO_INCREMENT, data LONGBLOB) ENGINE=InnoDB;`);
}

/**
 * A write workload on several connections: multi-statement transactions (insert, update, delete),
 * rollbacks, DDL and FLUSH BINARY LOGS on the first connection. Runs until `stop` aborts or `rounds`
 * rounds per connection are done. Returns the number of committed transactions.
 */
export async function runWorkload(sb: Sandbox, o: { connections?: number; rounds?: number; stop?: AbortSignal; ddlEvery?: number; flushEvery?: number; pauseMs?: number }): Promise<number> {
  const n = o.connections ?? 3;
  let commits = 0;
  const worker = async (w: number) => {
    const c = await sb.connect();
    try {
      for (let i = 0; (o.rounds === undefined || i < o.rounds) && !o.stop?.aborted; i++) {
        await c.query("BEGIN");
        const [res] = await c.query("INSERT INTO wl.accounts (owner, balance, note) VALUES (?, ?, ?), (?, ?, ?)", [`w${w}-${i}a`, i * 1.5, crypto.randomBytes(40 + (i % 200)).toString("hex"), `w${w}-${i}b`, i, null]);
        const id = (res as { insertId: number }).insertId;
        await c.query("UPDATE wl.accounts SET balance = balance + 10, note = CONCAT(IFNULL(note, ''), 'u') WHERE id = ?", [id]);
        await c.query("INSERT INTO wl.audit (account, delta, at) VALUES (?, 10, NOW(6))", [id]);
        if (i % 3 === 0) await c.query("DELETE FROM wl.accounts WHERE id = ?", [id + 1]);
        if (i % 7 === 6) {
          await c.query("ROLLBACK");
        } else {
          await c.query("COMMIT");
          commits++;
        }
        if (w === 0 && o.ddlEvery && i % o.ddlEvery === o.ddlEvery - 1) {
          await c.query(`CREATE TABLE wl.tmp_${i} (a INT PRIMARY KEY, b VARCHAR(20))`);
          await c.query(`INSERT INTO wl.tmp_${i} VALUES (1, 'x'), (2, 'y')`);
          await c.query(`ALTER TABLE wl.tmp_${i} ADD COLUMN c INT DEFAULT 7`);
          await c.query(`DROP TABLE wl.tmp_${i}`);
          commits += 4;
        }
        if (w === 0 && o.flushEvery && i % o.flushEvery === o.flushEvery - 1) await c.query("FLUSH BINARY LOGS");
        if (o.pauseMs) await new Promise((r) => setTimeout(r, o.pauseMs));
      }
    } finally {
      await c.end();
    }
  };
  await Promise.all(Array.from({ length: n }, (_, w) => worker(w)));
  return commits;
}

/** Inserts one row larger than 16 MiB, so its rows event spans several replication packets. */
export async function insertLargeRow(sb: Sandbox, bytes = 20 * 1024 * 1024) {
  const c = await sb.connect();
  try {
    const data = crypto.randomBytes(bytes);
    await c.query("INSERT INTO wl.blobs (data) VALUES (?)", [data]);
    return { sha256: crypto.createHash("sha256").update(data).digest("hex"), head: data.subarray(0, 64) };
  } finally {
    await c.end();
  }
}

/** The archiver in a child process, so a test can kill it like a crash would (SIGKILL). */
export type ChildArchiver = { child: ChildProcess; status: () => ArchiverStatus | null; exited: Promise<number | null>; stderr: () => string };

export function spawnChildArchiver(opts: Record<string, unknown>): ChildArchiver {
  const script = path.join(import.meta.dirname, "binlog-archiver-process.ts");
  // node with tsx's loader, one process: the tsx CLI would run the script in a child process of
  // its own, and a SIGKILL of the CLI (what the tests do to simulate a crash) leaves that child
  // archiving on as an orphan next to the archiver that resumes
  const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(opts)], { stdio: ["ignore", "pipe", "pipe"] });
  let last: ArchiverStatus | null = null;
  let buf = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        last = JSON.parse(line) as ArchiverStatus;
      } catch {
        // not a status line
      }
    }
  });
  child.stderr!.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, status: () => last, exited, stderr: () => err };
}

/** The newest status line `binlog-stream --json` printed. */
export function cliArchiverStatus(run: RunningCli): { state: string; file: string | null; position: number | null } | null {
  const lines = run.stdout().trim().split("\n").filter((l) => l.startsWith("{"));
  return lines.length ? JSON.parse(lines[lines.length - 1]!) : null;
}

/**
 * Waits until a running `binlog-stream --json` has the server's position durably. After a rotation
 * the server appends a checkpoint event about a second later: wait for it first, or the archive
 * could stop just before it and differ from the server's file.
 */
export async function waitCliArchiverCaughtUp(sb: Sandbox, run: RunningCli, timeoutMs = 60_000) {
  await waitBinlogCheckpoint(sb);
  await waitFor(
    "binlog-stream to catch up with the server",
    async () => {
      const s = cliArchiverStatus(run);
      const p = await serverPosition(sb);
      return s?.state === "streaming" && s.file === p.file && s.position === p.position;
    },
    timeoutMs,
    200,
  );
}
