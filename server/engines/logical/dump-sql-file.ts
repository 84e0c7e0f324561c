import path from "node:path";
import { keyId } from "../../artifact/encryption";
import type { Compression } from "../../artifact/compression";
import { manifestSchema, MANIFEST_FORMAT, type Manifest } from "../../artifact/manifest";
import { openObjectWriter } from "../../artifact/object-io";
import type { ServerAddress } from "../../mysql/connection-options";
import type { ServerFacts } from "../../mysql/server-facts";
import type { ObjectStore } from "../../storage/object-store";
import type { TableFilter } from "../types";
import type { WorkContext } from "../../work-context";
import { DumpSession } from "./dump-session";
import { OrderedChunks } from "./file-order";
import { clientCharset, comment, frameText } from "./framing";
import { manifestDatabases } from "./manifest-dbs";
import { chunkRowsFor, logicalOptions, type LogicalOptions } from "./options";
import { loadSessionSet, writePostData, writeSchema, writeUsers } from "./schema-ddl";
import { quoteIdent } from "./sql-text";
import { writeAll } from "./streams";
import { TableJob } from "./table-job";
import { TaskQueue } from "./task-queue";

export type SqlFileOptions = {
  server: ServerAddress;
  facts: ServerFacts;
  store: ObjectStore;
  /** store key of the file, e.g. "host/2026-11-23.sql.zst" */
  key: string;
  compression: Compression;
  level?: number;
  encryptionKey?: Buffer | null;
  filter: TableFilter;
  parallel?: number;
  includeUsers?: boolean;
  hostName: string;
  backupId: string;
} & Pick<LogicalOptions, "chunkRows" | "lockWaitTimeoutSec" | "lockMechanism" | "statementBytes">;

const SAVE = "SET @dbbackup_fk = @@FOREIGN_KEY_CHECKS, @dbbackup_uc = @@UNIQUE_CHECKS, @dbbackup_mode = @@SQL_MODE, @dbbackup_tz = @@TIME_ZONE, @dbbackup_csc = @@CHARACTER_SET_CLIENT, @dbbackup_csr = @@CHARACTER_SET_RESULTS, @dbbackup_cc = @@COLLATION_CONNECTION";
const RESTORE = "SET FOREIGN_KEY_CHECKS = @dbbackup_fk, UNIQUE_CHECKS = @dbbackup_uc, SQL_MODE = @dbbackup_mode, TIME_ZONE = @dbbackup_tz, CHARACTER_SET_CLIENT = @dbbackup_csc, CHARACTER_SET_RESULTS = @dbbackup_csr, COLLATION_CONNECTION = @dbbackup_cc";

/**
 * The logical dump as one SQL file that the stock client replays as it is
 * (`zstd -dc f.sql.zst | mariadb -h ...`): databases, tables, data, then views, routines, triggers
 * and events, then accounts. Chunks are read in parallel and written in key order (OrderedChunks);
 * the file streams to the store (a local file or an S3 multipart upload) through the usual
 * compress -> encrypt -> sha256 pipeline. `<key>.manifest.json` is written last.
 */
export async function dumpToSqlFile(ctx: WorkContext, opts: SqlFileOptions): Promise<{ manifest: Manifest }> {
  const lo = logicalOptions({ parallel: opts.parallel ?? 4, includeUsers: opts.includeUsers, options: { chunkRows: opts.chunkRows, lockWaitTimeoutSec: opts.lockWaitTimeoutSec, lockMechanism: opts.lockMechanism, statementBytes: opts.statementBytes } });
  const startedAt = new Date().toISOString();
  const s = new DumpSession(ctx, {
    server: opts.server,
    facts: opts.facts,
    filter: opts.filter,
    parallel: lo.parallel,
    includeUsers: lo.includeUsers,
    lockWaitTimeoutSec: lo.lockWaitTimeoutSec,
    lockMechanism: lo.lockMechanism,
  });
  // one stream for the whole file: let zstd use every core (threads 0)
  const w = openObjectWriter(opts.store, opts.key, { compression: opts.compression, level: opts.level, threads: 0, key: opts.encryptionKey ?? null });
  s.onFail((e) => w.input.destroy(e));
  const put = (parts: Buffer[]) => writeAll(w.input, parts);
  let written = false;
  try {
    await s.open();
    const fix = { grant: s.grantFix };
    const c = s.snapshot.coordinates;
    await put([
      comment(`dbbackup logical dump ${opts.backupId} of ${opts.hostName} (${opts.facts.flavor} ${opts.facts.version}), ${startedAt}`),
      comment(c ? `consistent at binlog ${c.file}:${c.position}${c.gtid ? ` GTID ${c.gtid}` : ""}` : "binary log off: no coordinates"),
      comment("replay: zstd -dc FILE | mariadb -h HOST -u USER -p   (or zcat for .gz)"),
      clientCharset("utf8mb4"),
      ...frameText(SAVE, { k: "set" }),
      ...frameText("SET NAMES utf8mb4", { k: "set" }),
      ...loadSessionSet(),
    ]);
    const ordered = new OrderedChunks(lo.parallel + 1);
    s.onFail((e) => ordered.fail(e));
    const queue = new TaskQueue();
    const jobs: TableJob[] = [];
    const hooks = {
      statementBytes: lo.statementBytes,
      maxChunks: 99999,
      chunkRows: (info: { avgRowLength: number }) => chunkRowsFor(lo.chunkRows, info.avgRowLength),
      queue: (tasks: import("./task-queue").Task[]) => queue.push(tasks),
      sink: (job: TableJob, chunk: number) => ordered.sink(job, chunk),
      onStatement: (job: TableJob, st: { rows: number; bytes: number }) => s.progress.add(st.rows, st.bytes, job.label),
      onComplete: (job: TableJob) => {
        ordered.complete(job);
        s.progress.tableDone(job.label);
      },
    };
    let rank = 0;
    for (const [i, db] of s.dbs.entries()) {
      for (const [j, t] of db.tables.entries()) {
        if (t.kind !== "table" || !t.dumpData) continue;
        jobs.push(new TableJob(t, i, j, rank++, hooks));
      }
    }
    queue.push(jobs.flatMap((j) => j.start()));
    // workers start reading while the schema is written (their chunks wait, bounded, for their turn)
    s.progress.setPhase("data");
    const data = s.runWorkers(queue);
    const file = (async () => {
      for (const db of s.dbs) await s.step(`writing the schema of ${db.name}`, () => writeSchema(s.meta, db, put, fix, { replayable: true }));
      for (const db of s.dbs) {
        const dbJobs = jobs.filter((j) => j.info.db === db.name);
        if (!dbJobs.length) continue;
        await put([clientCharset("utf8mb4"), ...frameText(`USE ${quoteIdent(db.name)}`, { k: "use", db: db.name }), clientCharset("binary"), ...frameText("SET NAMES binary", { k: "set" })]);
        for (const job of dbJobs) {
          await put([comment(`data ${job.label}`)]);
          await ordered.drain(job, (b) => put([b]));
        }
        await put([clientCharset("utf8mb4"), ...frameText("SET NAMES utf8mb4", { k: "set" })]);
      }
    })();
    const settled = await Promise.allSettled([data, file]);
    s.throwIfFailed();
    for (const r of settled) if (r.status === "rejected") throw r.reason;

    s.progress.setPhase("definitions");
    for (const db of s.dbs) await s.step(`writing the views, routines, triggers and events of ${db.name}`, () => writePostData(s.meta, db, opts.facts.flavor, put, fix, { replayable: true }));
    if (lo.includeUsers) await s.step("writing accounts and grants", () => writeUsers(s.meta, opts.facts.flavor, put, (m) => ctx.log("warn", m), s.dbs.map((d) => d.name)));
    await put([...frameText(RESTORE, { k: "set" }), comment("dbbackup: end of dump")]);
    s.progress.setPhase("finishing");
    w.input.end();
    const r = await w.done;
    written = true;
    const databases = manifestDatabases(s.dbs, jobs);
    const manifest: Manifest = manifestSchema.parse({
      format: MANIFEST_FORMAT,
      id: opts.backupId,
      engine: "logical",
      layout: "sql-file",
      host: { name: opts.hostName },
      server: { version: opts.facts.version, flavor: opts.facts.flavor, serverId: opts.facts.serverId, hostname: opts.facts.hostname },
      startedAt,
      finishedAt: new Date().toISOString(),
      lockMs: s.snapshot.lockMs,
      coordinates: s.snapshot.coordinates,
      compression: { algorithm: opts.compression, ...(opts.level !== undefined ? { level: opts.level } : {}) },
      encryption: opts.encryptionKey ? { algorithm: "AES-256-GCM-chunked", keyId: keyId(opts.encryptionKey) } : null,
      objects: [{ path: path.posix.basename(opts.key), size: r.size, rawSize: r.rawSize, sha256: r.sha256, role: "sql-file" }],
      databases,
      totals: {
        rawBytes: r.rawSize,
        storedBytes: r.size,
        rows: jobs.reduce((n, j) => n + j.rows, 0),
        tables: s.dbs.reduce((n, d) => n + d.tables.filter((t) => t.kind === "table").length, 0),
      },
      details: { snapshot: s.snapshot.mechanism, parallel: lo.parallel, statementBytes: lo.statementBytes },
    });
    await opts.store.put(`${opts.key}.manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
    return { manifest };
  } catch (e) {
    s.fail(e as Error);
    await w.abort(e).catch(() => undefined);
    if (written) await opts.store.delete(opts.key).catch(() => undefined);
    throw s.failure ?? e;
  } finally {
    await s.close();
  }
}
