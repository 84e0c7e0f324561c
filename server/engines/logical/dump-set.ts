import { once } from "node:events";
import type { BackupSetWriter } from "../../artifact/backup-set";
import type { BackupOutcome, BackupRequest } from "../types";
import type { WorkContext } from "../../work-context";
import { DumpSession } from "./dump-session";
import { manifestDatabases } from "./manifest-dbs";
import { chunkRowsFor, logicalOptions, CHUNK_TARGET_BYTES } from "./options";
import { writePostData, writeSchema, writeUsers, type Emit } from "./schema-ddl";
import { numberChunks, SetChunkSink, type DataEntry } from "./set-sink";
import { TableJob } from "./table-job";
import { TaskQueue } from "./task-queue";
import { DomainError } from "../../errors";

/** A small object written statement by statement, with backpressure. */
async function writeObject(set: BackupSetWriter, path: string, meta: { role: string; database?: string }, fill: (emit: Emit) => Promise<void>) {
  const o = set.object(path + ".sql" + set.extension, meta, { threads: 1 });
  try {
    await fill(async (parts) => {
      let ok = true;
      for (const p of parts) ok = o.input.write(p);
      if (!ok) await once(o.input, "drain");
    });
    o.input.end();
  } catch (e) {
    o.input.destroy(e as Error);
    throw e;
  }
  await o.done;
}

/**
 * The logical engine's backup set ("logical-set"): per database d<i>/schema.sql (CREATE DATABASE,
 * tables, sequences, placeholder views), data objects d<i>/t<j>/c<chunk>-<part>.sql, and
 * d<i>/post-data.sql (views, routines, triggers, events: created after the data, so triggers do not
 * fire during the load), plus users.sql when accounts are included. The caller commits the manifest.
 */
export async function dumpToBackupSet(ctx: WorkContext, req: BackupRequest): Promise<BackupOutcome> {
  const opts = logicalOptions(req);
  const startedAt = new Date().toISOString();
  const s = new DumpSession(ctx, {
    server: req.server,
    facts: req.facts,
    filter: req.filter,
    parallel: opts.parallel,
    includeUsers: opts.includeUsers,
    lockWaitTimeoutSec: opts.lockWaitTimeoutSec,
    lockMechanism: opts.lockMechanism,
  });
  const set = req.set;
  try {
    await s.open();
    const fix = { grant: s.grantFix };

    const entries = new Map<TableJob, DataEntry[]>();
    const queue = new TaskQueue();
    const jobs: TableJob[] = [];
    const statementBytes = opts.statementBytes;
    const hooks = {
      statementBytes,
      maxChunks: 99999,
      chunkRows: (info: { avgRowLength: number }) => chunkRowsFor(opts.chunkRows, info.avgRowLength),
      queue: (tasks: import("./task-queue").Task[]) => queue.push(tasks),
      sink: async (job: TableJob, chunk: number) => new SetChunkSink(set, job, chunk, Math.max(4 * CHUNK_TARGET_BYTES, 8 * statementBytes), entries.get(job)!),
      onStatement: (job: TableJob, st: { rows: number; bytes: number }) => s.progress.add(st.rows, st.bytes, job.label),
      onComplete: (job: TableJob) => {
        numberChunks(entries.get(job)!);
        s.progress.tableDone(job.label);
      },
    };
    // biggest tables first: their chunks spread over every worker while small tables fill the gaps
    const tables = s.dbs.flatMap((db, i) => db.tables.map((t, j) => ({ t, i, j }))).filter(({ t }) => t.kind === "table");
    const rank = new Map([...tables].sort((a, b) => b.t.dataLength - a.t.dataLength).map((x, r) => [x.t, r]));
    for (const { t, i, j } of tables) {
      if (t.systemVersioned) ctx.log("warn", `${t.db}.${t.name} is system-versioned: only its current rows are backed up, not its history.`);
      if (!t.dumpData) continue;
      const job = new TableJob(t, i, j, rank.get(t)!, hooks);
      entries.set(job, []);
      jobs.push(job);
    }
    queue.push(jobs.flatMap((j) => j.start()));
    // data workers start at once; definitions are read meanwhile on the meta connection
    s.progress.setPhase("data");
    const data = s.runWorkers(queue);
    const definitions = (async () => {
      for (const [i, db] of s.dbs.entries()) {
        await s.step(`writing the schema of ${db.name}`, () => writeObject(set, `d${i}/schema`, { role: "schema", database: db.name }, (emit) => writeSchema(s.meta, db, emit, fix)));
      }
      for (const [i, db] of s.dbs.entries()) {
        await s.step(`writing the views, routines, triggers and events of ${db.name}`, () =>
          writeObject(set, `d${i}/post-data`, { role: "post-data", database: db.name }, (emit) => writePostData(s.meta, db, req.facts.flavor, emit, fix)),
        );
      }
      if (opts.includeUsers) await s.step("writing accounts and grants", () => writeObject(set, "users", { role: "users" }, (emit) => writeUsers(s.meta, req.facts.flavor, emit, (m) => ctx.log("warn", m), s.dbs.map((d) => d.name))));
    })();
    const results = await Promise.allSettled([data, definitions]);
    s.throwIfFailed();
    for (const r of results) if (r.status === "rejected") throw r.reason;
    s.progress.setPhase("finishing");
    const databases = manifestDatabases(s.dbs, jobs);
    const unfinished = jobs.filter((j) => !j.completed);
    if (unfinished.length) throw new DomainError("INTERNAL", `${unfinished.map((j) => j.label).join(", ")} did not complete although every worker ended: this is a bug in dbbackup; the backup was not recorded, run it again and report the log`);
    return {
      engine: "logical",
      layout: "logical-set",
      server: { version: req.facts.version, flavor: req.facts.flavor, serverId: req.facts.serverId, hostname: req.facts.hostname },
      startedAt,
      finishedAt: new Date().toISOString(),
      lockMs: s.snapshot.lockMs,
      coordinates: s.snapshot.coordinates,
      databases,
      totals: { rows: jobs.reduce((n, j) => n + j.rows, 0), tables: s.dbs.reduce((n, d) => n + d.tables.filter((t) => t.kind === "table").length, 0) },
      details: {
        snapshot: s.snapshot.mechanism,
        parallel: opts.parallel,
        statementBytes,
        fingerprint: "logical/1: row tuple bytes; pk-sha256 segments of 1/1024 of the integer key range",
      },
    };
  } catch (e) {
    s.fail(e as Error);
    throw s.failure ?? e;
  } finally {
    await s.close();
  }
}
