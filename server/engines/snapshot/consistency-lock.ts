import { performance } from "node:perf_hooks";
import type mysql from "mysql2/promise";
import { DomainError, errorMessage } from "../../errors";
import { connectServer, queryRows } from "../../mysql/connect";
import type { ServerAddress } from "../../mysql/connection-options";
import { versionAtLeast, type Flavor } from "../../mysql/server-facts";
import type { WorkContext } from "../../work-context";
import { readCoordinates, type Coordinates } from "./binlog-coordinates";

export type LockMethod = "backup-stage" | "ftwrl";

export type LockOptions = {
  server: ServerAddress;
  hostName: string;
  flavor: Flavor;
  version: string;
  /** Give up (retryably) when the lock is not granted within this many seconds. */
  timeoutSeconds: number;
  method?: LockMethod | "auto";
};

export type LockResult<T> = {
  value: T;
  method: LockMethod;
  /** how long commits were blocked, ms (from asking for the commit lock until it was released) */
  lockMs: number;
  /** how long DDL was blocked (BACKUP STAGE BLOCK_DDL .. END), ms; null for FTWRL (same as lockMs) */
  ddlBlockedMs: number | null;
  coordinates: Coordinates | null;
};

const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_QUERY_INTERRUPTED = 1317;
const ER_STATEMENT_TIMEOUT = 1969; // MariaDB max_statement_time

/** MariaDB 10.4.1+ has BACKUP STAGE, which blocks commits without waiting for running SELECTs. */
export function lockMethodFor(flavor: Flavor, version: string): LockMethod {
  return flavor === "mariadb" && versionAtLeast(version, "10.4.1") ? "backup-stage" : "ftwrl";
}

/**
 * Blocks commits for as short a time as possible and runs `whileLocked` (the snapshot) inside.
 *
 * Every lock statement runs with lock_wait_timeout = timeoutSeconds, and a watchdog on a second
 * connection kills the statement shortly after, so a long-running query on production can delay
 * the backup but never stall the server's writes for long: the backup fails retryably instead.
 * (A pending FLUSH TABLES WITH READ LOCK blocks every writer while it waits; BACKUP STAGE does not.)
 * `whileDdlBlocked` runs after DDL is blocked and before commits are, e.g. to list the tables.
 */
export async function withConsistencyLock<T, I = undefined>(
  ctx: WorkContext,
  conn: mysql.Connection,
  opts: LockOptions,
  whileLocked: (coordinates: Coordinates | null) => Promise<T>,
  whileDdlBlocked?: () => Promise<I>,
): Promise<LockResult<T> & { inventory: I | undefined }> {
  const method = !opts.method || opts.method === "auto" ? lockMethodFor(opts.flavor, opts.version) : opts.method;
  const timeout = Math.max(1, Math.round(opts.timeoutSeconds));
  const [{ id }] = await queryRows<{ id: number | string }>(conn, "SELECT CONNECTION_ID() AS id");
  await conn.query(`SET SESSION lock_wait_timeout = ${timeout}`);
  const killer = await connectServer(opts.server);
  let held: "none" | "stage" | "ftwrl" = "none";

  // Runs one lock statement; the watchdog and cancellation interrupt it with KILL QUERY.
  const step = async (sql: string) => {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error("cancelled");
    let killedBy: "watchdog" | "cancel" | null = null;
    const kill = (why: "watchdog" | "cancel") => {
      killedBy = why;
      killer.query(`KILL QUERY ${Number(id)}`).catch(() => undefined);
    };
    const timer = setTimeout(() => kill("watchdog"), timeout * 1000 + 2000);
    const onAbort = () => kill("cancel");
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    try {
      await conn.query(sql);
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (killedBy === "cancel") throw ctx.signal.reason ?? new DomainError("INTERNAL", "cancelled");
      if (errno === ER_LOCK_WAIT_TIMEOUT || errno === ER_STATEMENT_TIMEOUT || (errno === ER_QUERY_INTERRUPTED && killedBy === "watchdog")) {
        throw await lockTimeoutError(killer, Number(id), opts.hostName, timeout, sql, e);
      }
      throw new DomainError("UNAVAILABLE", `${sql} failed on ${opts.hostName}: ${errorMessage(e)}${privilegeHint(e)}`, { cause: e, retryable: false });
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", onAbort);
    }
  };

  let ddlStart = 0;
  let commitStart = 0;
  let inventory: I | undefined;
  try {
    if (method === "backup-stage") {
      await step("BACKUP STAGE START");
      held = "stage";
      await step("BACKUP STAGE FLUSH");
      ddlStart = performance.now();
      await step("BACKUP STAGE BLOCK_DDL");
      if (whileDdlBlocked) inventory = await whileDdlBlocked();
      commitStart = performance.now();
      await step("BACKUP STAGE BLOCK_COMMIT");
    } else {
      if (whileDdlBlocked) inventory = await whileDdlBlocked();
      // closes tables first so the locking flush below has little left to do. NO_WRITE_TO_BINLOG:
      // a plain FLUSH TABLES is written to the binary log, a transaction with a GTID of the source's
      // own (an errant GTID on a replica); FLUSH TABLES WITH READ LOCK never is
      await step("FLUSH NO_WRITE_TO_BINLOG TABLES");
      commitStart = performance.now();
      await step("FLUSH TABLES WITH READ LOCK");
      held = "ftwrl";
    }
    const coordinates = await readCoordinates(conn, opts.flavor, opts.version);
    const value = await whileLocked(coordinates);
    await conn.query(held === "stage" ? "BACKUP STAGE END" : "UNLOCK TABLES");
    held = "none";
    const end = performance.now();
    return {
      value,
      method,
      lockMs: round(end - commitStart),
      ddlBlockedMs: method === "backup-stage" ? round(end - ddlStart) : null,
      coordinates,
      inventory,
    };
  } finally {
    if (held !== "none") {
      // release on every path; if even that fails, closing the session releases the locks
      await conn.query(held === "stage" ? "BACKUP STAGE END" : "UNLOCK TABLES").catch(() => conn.destroy());
    }
    await killer.end().catch(() => killer.destroy());
  }
}

function round(ms: number) {
  return Math.round(ms * 100) / 100;
}

function privilegeHint(e: unknown): string {
  const errno = (e as { errno?: number }).errno;
  // ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR
  return errno === 1227 || errno === 1044 ? " The backup account needs RELOAD: GRANT RELOAD ON *.* TO '<user>'@'<host>';" : "";
}

async function lockTimeoutError(killer: mysql.Connection, ownId: number, host: string, seconds: number, sql: string, cause: unknown) {
  let culprit = "";
  try {
    const rows = await queryRows<{ ID: string; USER: string; TIME: number; INFO: string | null }>(
      killer,
      `SELECT ID, USER, TIME, LEFT(INFO, 160) AS INFO FROM information_schema.PROCESSLIST
        WHERE ID <> ? AND COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump', 'Binlog Dump GTID') AND INFO IS NOT NULL
          AND INFO NOT LIKE 'SELECT ID, USER, TIME, LEFT(INFO%'
        ORDER BY TIME DESC LIMIT 1`,
      [ownId],
    );
    const r = rows[0];
    if (r) culprit = ` Longest running: thread ${r.ID} (${r.USER}), ${r.TIME} s: ${String(r.INFO).replace(/\s+/g, " ")}. If it is stuck: KILL ${r.ID};`;
  } catch {
    // the list is a hint; the error stands without it
  }
  return new DomainError(
    "UNAVAILABLE",
    `A long-running query on ${host} held the lock for more than ${seconds} s (${sql}); retry later.${culprit}`,
    { retryable: true, cause },
  );
}
