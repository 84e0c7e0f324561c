// Shared by the pitr-*.test.ts files: a catalog with a source and a target host, continuous
// archiving through the archive run kind, backups through the backup run kind, and the state
// fingerprints a point-in-time restore must reproduce.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { startArchiving } from "../../server/archive-runs/manage-archiving";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import type { Sandbox } from "../../server/mysql/sandbox";
import { startPitr, type StartPitrInput } from "../../server/pitr/start-pitr";
import { Runner } from "../../server/runner/runner";
import { checksums, runLog, waitFor, waitForRun } from "./runs";

export const admin = { id: "u-admin", email: "admin@example.test", role: "admin" as const };
export const operator = { id: "u-op", email: "op@example.test", role: "operator" as const };

export type Bed = { runner: Runner; targetId: string; storeDir: string; hosts: Record<string, string> };

// hooks registered inside beforeAll are not run: the test file's own afterAll (registered when it
// imports this module) stops the runners and removes the stores
const beds: Bed[] = [];
afterAll(async () => {
  for (const b of beds.splice(0)) {
    await b.runner.stop();
    fs.rmSync(b.storeDir, { recursive: true, force: true });
  }
});

/** Users, a local storage target, one catalog host per sandbox, and a runner (stopped after all tests). */
export async function pitrBed(sandboxes: Record<string, Sandbox>): Promise<Bed> {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-pitr-store-"));
  await db().user.createMany({ data: [admin, operator].map((u) => ({ id: u.id, email: u.email, role: u.role, passwordHash: "x" })) });
  const targetId = (await db().storageTarget.create({ data: { id: "t-local", name: "local", kind: "local", path: storeDir } })).id;
  const hosts: Record<string, string> = {};
  for (const [name, sb] of Object.entries(sandboxes)) {
    hosts[name] = (await db().host.create({ data: { id: `h-${name}`, name, host: "127.0.0.1", port: sb.port, user: "root", tlsMode: "disabled", archiveCompress: true } })).id;
  }
  const runner = new Runner({ pollMs: 50, retryBaseMs: 200, maxConcurrent: 4 });
  runner.start();
  const bed = { runner, targetId, storeDir, hosts };
  beds.push(bed);
  return bed;
}

/** Starts continuous archiving of a host (the archive run kind) and waits until it streams. */
export async function archive(bed: Bed, hostId: string) {
  const run = await startArchiving({ hostId, targetId: bed.targetId, actor: admin });
  // the dump has started (at a fixed position) once the run logs it
  await waitFor(async () => /Streaming binlogs/.test(await runLog(run!.id)), 30_000, "the archiver to stream");
}

/** A backup (logical unless told) through the backup run kind; returns the catalog row. */
export async function backupNow(bed: Bed, hostId: string, databases: string[] = [], engine = "logical") {
  const run = await startBackup({ input: { hostId, targetId: bed.targetId, engine, databases, compression: "zstd", parallel: 2 }, actor: operator });
  const done = await waitForRun(run.id);
  if (done.state !== "succeeded") throw new Error(`backup run ${done.state}: ${done.error}`);
  return db().backup.findUniqueOrThrow({ where: { id: done.backupId! } });
}

/** Rotates the source's binlog and waits until the archiver shipped the file that was current. */
export async function shipEverything(sb: Sandbox, hostId: string) {
  const [st] = await sb.sql<{ File: string }>("SHOW MASTER STATUS");
  await sb.sql("FLUSH BINARY LOGS");
  await waitFor(() => db().binlogSegment.findFirst({ where: { hostId, fileName: st!.File, fileComplete: true } }), 30_000, `${st!.File} to be shipped`);
}

/** Waits until the archiver's durable checkpoint has reached the source's current position. */
export async function archivedUpToNow(sb: Sandbox, hostId: string) {
  const [st] = await sb.sql<{ File: string; Position: string }>("SHOW MASTER STATUS");
  let seen: unknown = null;
  await waitFor(
    async () => {
      const s = await db().archiverState.findUnique({ where: { hostId } });
      seen = s && { file: s.file, position: Number(s.position), status: s.status };
      return s?.file === st!.File && Number(s.position) >= Number(st!.Position) ? s : null;
    },
    30_000,
    "the archiver to catch up",
  ).catch((e) => {
    throw new Error(`${(e as Error).message}: server at ${st!.File}:${st!.Position}, archiver state ${JSON.stringify(seen)}`);
  });
}

/**
 * A database's state: per table, CHECKSUM TABLE EXTENDED and row count, and its definition (SHOW
 * CREATE TABLE without the auto-increment counter), keyed by table name so a renamed copy compares.
 */
export async function fingerprint(sb: Sandbox, database: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const q = (n: string) => "`" + n.replace(/`/g, "``") + "`";
  for (const [t, v] of Object.entries(await checksums((sql, p) => sb.sql(sql, p), database))) {
    const [c] = await sb.sql<{ "Create Table": string }>(`SHOW CREATE TABLE ${q(database)}.${q(t)}`);
    out[t] = v;
    out[`${t} definition`] = c!["Create Table"].replace(/ AUTO_INCREMENT=\d+/, "");
  }
  return out;
}

export type Mark = { label: string; time: Date; gtid: string; position: string; fp: Record<string, string> };

/** The source's state at an instant: its last GTID, binlog position, and the fingerprint of `database`. */
export async function mark(sb: Sandbox, label: string, time: Date, database: string): Promise<Mark> {
  const [g] = await sb.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
  const [st] = await sb.sql<{ File: string; Position: string }>("SHOW MASTER STATUS");
  return { label, time, gtid: g!.g, position: `${st!.File}:${st!.Position}`, fp: await fingerprint(sb, database) };
}

/** Starts a point-in-time restore as `actor` and waits for its run. */
export async function pitrRun(input: Partial<StartPitrInput> & { hostId: string; targetHostId: string }, actor: { id: string; email: string; role: "admin" | "operator" } = operator) {
  const run = await startPitr({ input: { parallel: 2, ...input }, actor });
  return waitForRun(run.id, 180_000);
}

export const sqlq = (s: string) => s.replace(/'/g, "''");
