import type mysql from "mysql2/promise";
import { DomainError } from "../../errors";
import { describeAddress, type ServerAddress } from "../../mysql/connection-options";
import { versionAtLeast, type ServerFacts } from "../../mysql/server-facts";
import { explainStepError, isLockWaitTimeout, serverMessage } from "./errors";
import { textRows } from "./meta-query";

export type LockMechanism = "auto" | "backup-stage" | "ftwrl";

export type Snapshot = {
  /** how long commits (backup-stage) or writes (ftwrl) were blocked, ms; 0 when no lock was needed */
  lockMs: number;
  mechanism: "none" | "backup-stage" | "ftwrl";
  coordinates: { file: string; position: number; gtid: string | null } | null;
};

const START = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";

/**
 * Gives every worker connection the same consistent snapshot and returns the binlog coordinates of
 * that snapshot.
 *
 * MariaDB 10.4+: BACKUP STAGE START + BLOCK_COMMIT blocks commits only (running statements, reads
 * and even long SELECTs go on), the N workers start their snapshots, the GTID position is read,
 * BACKUP STAGE END. Commits wait a few milliseconds; nothing waits for a long query. The snapshot's
 * binlog file/position come from the first worker's binlog_snapshot_file/position (no privilege
 * needed) and equal the server's position while commits are blocked.
 * A single worker on MariaDB needs no lock at all: its snapshot is consistent with
 * binlog_snapshot_file/position, and BINLOG_GTID_POS() gives the GTID position of that point.
 * MySQL (and MariaDB before 10.4): FLUSH TABLES WITH READ LOCK for the same window. MySQL code paths
 * cannot be exercised on this project's machines (no MySQL server available); they follow the
 * documented statements.
 * The lock waits at most lock_wait_timeout seconds: a stuck commit or another backup holding the
 * lock makes the backup fail (retryable) instead of stalling the server's writes behind it.
 * Nothing here is written to the source's binary log (BACKUP STAGE, FLUSH TABLES WITH READ LOCK,
 * UNLOCK TABLES and SHOW are never logged): a backup of a replica must not create GTIDs of its own.
 * The snapshot transactions are READ ONLY and end with ROLLBACK (DumpSession.close).
 */
export async function takeSnapshot(
  ctl: mysql.Connection,
  workers: mysql.Connection[],
  facts: ServerFacts,
  opts: { lockWaitTimeoutSec: number; mechanism: LockMechanism; address: ServerAddress; currentUser: string },
): Promise<Snapshot> {
  const mariadb = facts.flavor === "mariadb";
  const where = describeAddress(opts.address);
  const backupStage = mariadb && versionAtLeast(facts.version, "10.4.1");
  let mechanism: Snapshot["mechanism"];
  if (opts.mechanism === "ftwrl" || !backupStage) mechanism = "ftwrl";
  else if (workers.length === 1 && mariadb && opts.mechanism === "auto") mechanism = "none";
  else mechanism = "backup-stage";

  const fail = (e: unknown, step: string) => {
    if (isLockWaitTimeout(e))
      return new DomainError(
        "UNAVAILABLE",
        `Could not take the backup lock (${step}) on ${where} within ${opts.lockWaitTimeoutSec} s: another backup, a long commit or DDL holds it. Writes were never blocked longer than that; the backup will be retried.`,
        { retryable: true, cause: e },
      );
    return explainStepError(e, { address: opts.address, doing: `taking the consistent snapshot (${step})`, currentUser: opts.currentUser });
  };

  if (mechanism === "none") {
    const w = workers[0]!;
    try {
      await w.query(START);
    } catch (e) {
      throw fail(e, "START TRANSACTION");
    }
    const coordinates = facts.binlog.enabled ? await snapshotCoordinates(w, true) : null;
    return { lockMs: 0, mechanism, coordinates };
  }

  await ctl.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.floor(opts.lockWaitTimeoutSec))}`);
  if (mechanism === "backup-stage") {
    try {
      await ctl.query("BACKUP STAGE START");
    } catch (e) {
      throw fail(e, "BACKUP STAGE START");
    }
    let t0 = 0;
    let t1 = 0;
    try {
      t0 = performance.now();
      try {
        await ctl.query("BACKUP STAGE BLOCK_COMMIT");
      } catch (e) {
        throw fail(e, "BACKUP STAGE BLOCK_COMMIT");
      }
      const [, gtid] = await Promise.all([
        Promise.all(workers.map((w) => w.query(START))),
        facts.binlog.enabled ? textRows(ctl, "SELECT @@global.gtid_binlog_pos") : Promise.resolve(null),
      ]);
      await ctl.query("BACKUP STAGE END");
      t1 = performance.now();
      // binlog_snapshot_file/position belong to the worker's transaction: read them after the lock
      const coords = facts.binlog.enabled ? await snapshotCoordinates(workers[0]!, false) : null;
      return { lockMs: Math.round((t1 - t0) * 100) / 100, mechanism, coordinates: coords ? { ...coords, gtid: gtid?.[0]?.[0] || null } : null };
    } catch (e) {
      await ctl.query("BACKUP STAGE END").catch(() => undefined);
      throw e instanceof DomainError ? e : fail(e, "starting the worker snapshots");
    }
  }

  // FLUSH TABLES WITH READ LOCK (MySQL, old MariaDB, or asked for)
  const t0 = performance.now();
  try {
    await ctl.query("FLUSH TABLES WITH READ LOCK");
  } catch (e) {
    throw fail(e, "FLUSH TABLES WITH READ LOCK");
  }
  try {
    await Promise.all(workers.map((w) => w.query(START)));
    let coordinates: Snapshot["coordinates"] = null;
    if (facts.binlog.enabled) {
      const statusSql = !mariadb && versionAtLeast(facts.version, "8.4.0") ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
      const st = await textRows(ctl, statusSql).catch((e) => {
        throw fail(e, statusSql);
      });
      const gtid = await textRows(ctl, mariadb ? "SELECT @@global.gtid_binlog_pos" : "SELECT @@global.gtid_executed");
      if (st[0]) coordinates = { file: st[0][0]!, position: Number(st[0][1]), gtid: (gtid[0]?.[0] ?? "").replace(/\s+/g, "") || null };
    }
    await ctl.query("UNLOCK TABLES");
    return { lockMs: Math.round((performance.now() - t0) * 100) / 100, mechanism, coordinates };
  } catch (e) {
    await ctl.query("UNLOCK TABLES").catch(() => undefined);
    throw e instanceof DomainError ? e : fail(e, "starting the worker snapshots");
  }
}

/** MariaDB: the binlog position of this connection's snapshot (and, if asked, its GTID position). */
async function snapshotCoordinates(w: mysql.Connection, withGtid: boolean): Promise<Snapshot["coordinates"]> {
  const rows = await textRows(w, "SHOW SESSION STATUS LIKE 'binlog_snapshot_%'");
  const m = new Map(rows.map((r) => [r[0]!.toLowerCase(), r[1] ?? ""]));
  const file = m.get("binlog_snapshot_file");
  const position = Number(m.get("binlog_snapshot_position"));
  if (!file) return null;
  let gtid: string | null = null;
  if (withGtid) {
    try {
      gtid = (await textRows(w, "SELECT BINLOG_GTID_POS(?, ?)", [file, position]))[0]?.[0] || null;
    } catch (e) {
      void serverMessage(e);
      gtid = null;
    }
  }
  return { file, position, gtid };
}
