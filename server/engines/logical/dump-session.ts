import type mysql from "mysql2/promise";
import { DomainError } from "../../errors";
import { describeAddress, type ServerAddress } from "../../mysql/connection-options";
import type { ServerFacts } from "../../mysql/server-facts";
import type { TableFilter } from "../types";
import type { WorkContext } from "../../work-context";
import { explainStepError, isConnectionLost } from "./errors";
import { readInventory, type DatabaseInfo } from "./inventory";
import { textRows } from "./meta-query";
import { checkPrivileges } from "./privileges";
import { ProgressReporter } from "./progress";
import { applySession, ConnectionSet, dumpSessionSql } from "./session";
import { accountOf } from "./sql-text";
import { takeSnapshot, type LockMechanism, type Snapshot } from "./snapshot";
import type { Task, TaskQueue } from "./task-queue";

export type DumpSetup = {
  server: ServerAddress;
  facts: ServerFacts;
  filter: TableFilter;
  parallel: number;
  includeUsers: boolean;
  lockWaitTimeoutSec: number;
  lockMechanism: LockMechanism;
};

/** The error for a cancelled run: the signal's reason when it is an Error (the runner's CancelledError). */
export function abortError(signal: AbortSignal): Error {
  const r = signal.reason as unknown;
  if (r instanceof Error) return r;
  return new DomainError("UNAVAILABLE", "The backup was cancelled.");
}

/**
 * One dump's connections and shared state: the meta connection (definitions), N worker connections
 * holding the same snapshot, the inventory, and the first failure. A failure or a cancellation
 * closes every connection at once, so workers stop mid-query and nothing keeps running.
 */
export class DumpSession {
  readonly conns = new ConnectionSet();
  meta!: mysql.Connection;
  workers: mysql.Connection[] = [];
  currentUser = "";
  dbs: DatabaseInfo[] = [];
  snapshot!: Snapshot;
  failure: Error | null = null;
  progress!: ProgressReporter;
  /** what the workers are dumping right now (named when the server goes away) */
  private readonly active = new Set<string>();
  private readonly onAbort = () => this.fail(abortError(this.ctx.signal));
  private readonly failListeners: ((e: Error) => void)[] = [];

  constructor(
    readonly ctx: WorkContext,
    readonly setup: DumpSetup,
  ) {}

  get where() {
    return describeAddress(this.setup.server);
  }

  grantFix = (priv: string, scope: string) => `GRANT ${priv} ON ${scope} TO ${accountOf(this.currentUser)};`;

  onFail(fn: (e: Error) => void) {
    this.failListeners.push(fn);
  }

  /** Records the first failure and stops everything. */
  fail(e: Error) {
    if (this.failure) return;
    this.failure = e;
    this.conns.destroyAll();
    for (const fn of this.failListeners) {
      try {
        fn(e);
      } catch {
        // listeners only tear down
      }
    }
  }

  throwIfFailed() {
    if (this.failure) throw this.failure;
    if (this.ctx.signal.aborted) throw abortError(this.ctx.signal);
  }

  /** Connects, reads and checks what to dump, opens the workers and takes the snapshot. */
  async open(): Promise<void> {
    try {
      await this.openSteps();
    } catch (e) {
      const err = this.failure ?? explainStepError(e, { address: this.setup.server, doing: "preparing the dump", currentUser: this.currentUser, scope: "*.*" });
      this.fail(err);
      throw err;
    }
  }

  private async openSteps(): Promise<void> {
    const { ctx, setup } = this;
    this.throwIfFailed();
    ctx.signal.addEventListener("abort", this.onAbort, { once: true });
    ctx.progress({ phase: "connecting" });
    this.meta = await this.conns.open(setup.server);
    this.throwIfFailed();
    await applySession(this.meta, dumpSessionSql(setup.facts.flavor));
    this.currentUser = (await textRows(this.meta, "SELECT CURRENT_USER()"))[0]![0]!;
    ctx.progress({ phase: "reading schema" });
    this.dbs = await readInventory(this.meta, setup.facts.flavor, setup.filter, this.where);
    const singleNoLock = setup.parallel === 1 && setup.facts.flavor === "mariadb" && setup.lockMechanism === "auto";
    await checkPrivileges(this.meta, this.dbs, { needReload: !singleNoLock, includeUsers: setup.includeUsers, currentUser: this.currentUser, address: setup.server });
    const tables = this.dbs.flatMap((d) => d.tables.filter((t) => t.kind === "table"));
    this.progress = new ProgressReporter(
      ctx,
      {
        tablesTotal: tables.length,
        rowsTotal: tables.reduce((s, t) => s + t.estRows, 0),
        bytesTotal: tables.reduce((s, t) => s + t.dataLength, 0),
      },
      "snapshot",
    );
    this.throwIfFailed();
    this.workers = await Promise.all(
      Array.from({ length: setup.parallel }, async () => {
        const w = await this.conns.open(setup.server);
        await applySession(w, dumpSessionSql(setup.facts.flavor));
        return w;
      }),
    );
    this.throwIfFailed();
    ctx.progress({ phase: "snapshot" });
    this.snapshot = await takeSnapshot(this.meta, this.workers, setup.facts, {
      lockWaitTimeoutSec: setup.lockWaitTimeoutSec,
      mechanism: setup.lockMechanism,
      address: setup.server,
      currentUser: this.currentUser,
    });
    // a savepoint to roll back to after each chunk: that releases the chunk's metadata locks, so a
    // DDL statement on a table already dumped does not wait for the whole backup. The server writes
    // SAVEPOINT into the transaction's binlog cache: these transactions must end with ROLLBACK (see
    // close()); a failed dump closes its connections, which rolls them back too.
    await Promise.all(this.workers.map((w) => w.query("SAVEPOINT dbbackup")));
    ctx.log(
      "info",
      `Consistent snapshot on ${this.where} with ${setup.parallel} connection(s) by ${this.snapshot.mechanism}: lock ${this.snapshot.lockMs} ms` +
        (this.snapshot.coordinates ? `, binlog ${this.snapshot.coordinates.file}:${this.snapshot.coordinates.position}${this.snapshot.coordinates.gtid ? `, GTID ${this.snapshot.coordinates.gtid}` : ""}` : ", binlog off") +
        ".",
    );
  }

  /** Runs queued tasks on every worker until the queue is empty; the first error stops all. */
  async runWorkers(queue: TaskQueue): Promise<void> {
    this.onFail(() => queue.close());
    const loop = async (conn: mysql.Connection) => {
      for (;;) {
        const t: Task | null = await queue.next();
        if (!t) return;
        this.active.add(t.label);
        try {
          await t.run(conn);
          await conn.query("ROLLBACK TO SAVEPOINT dbbackup");
        } catch (e) {
          this.fail(this.failure ?? this.explain(e, `dumping ${t.label}`));
          return;
        } finally {
          this.active.delete(t.label);
          queue.finished();
        }
      }
    };
    await Promise.all(this.workers.map(loop));
    this.throwIfFailed();
  }

  /** Runs a step on the meta connection, turning its errors into the dump's failure. */
  async step<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      this.throwIfFailed();
      return await fn();
    } catch (e) {
      const err = this.failure ?? this.explain(e, doing);
      this.fail(err);
      throw err;
    }
  }

  /** A step's error; a lost server is reported with the tables being dumped at that moment. */
  private explain(e: unknown, doing: string): Error {
    const what = isConnectionLost(e) && this.active.size ? `dumping ${[...this.active].join(", ")}` : doing;
    return explainStepError(e, { address: this.setup.server, doing: what, currentUser: this.currentUser, scope: "*.*" });
  }

  async close() {
    this.ctx.signal.removeEventListener("abort", this.onAbort);
    if (this.failure) this.conns.destroyAll();
    else {
      // ROLLBACK, never COMMIT: the snapshot transactions only read, but MariaDB puts the
      // SAVEPOINT statement into the binlog transaction cache, and a COMMIT would write it to the
      // source's binlog as a transaction with a new GTID (an errant GTID on a replica). A rollback
      // discards the cache, so a backup leaves the binlog and the GTID state exactly as it found them.
      await Promise.all(this.workers.map((w) => w.query("ROLLBACK").catch(() => undefined)));
      await this.conns.endAll();
    }
  }
}
