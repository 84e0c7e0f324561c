import os from "node:os";
import type mysql from "mysql2/promise";
import { DomainError } from "../errors";
import { connectServer } from "../mysql/connect";
import { describeAddress, type ServerAddress } from "../mysql/connection-options";
import { coreOf, type CoreConnection } from "../mysql/mysql2-internals";
import { MysqlGtidSet } from "./gtid-mysql";
import { parseMariaGtidPos } from "./gtid-mariadb";
import { sendSimpleCommand, streamCommand } from "./replication-command";
import { binlogDumpGtidPayload, binlogDumpPayload, DumpFlag, registerReplicaPayload } from "./replication-packets";

export type DumpFrom = { file: string; position: number } | { gtid: string };

/** MariaDB replica capability: GTID (4) implies annotate rows, holes and binlog checkpoints. */
const MARIA_SLAVE_CAPABILITY_GTID = 4;


/**
 * One replication connection, set up as a real replica sets itself up: checksums as the server
 * writes them, MariaDB's GTID capability (so GTID, annotate and checkpoint events arrive), a
 * heartbeat period, registration with our server id, then the dump.
 */
export class ReplicaSession {
  private destroyed = false;
  private fail: ((e: Error) => void) | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private paused = false;

  private constructor(
    private readonly conn: mysql.Connection,
    readonly flavor: "mariadb" | "mysql",
    readonly version: string,
    /** @@global.binlog_checksum: how events are sent until a FORMAT_DESCRIPTION says otherwise */
    readonly checksum: "crc32" | "none",
    private readonly o: SessionOptions,
  ) {}

  static async open(server: ServerAddress, o: SessionOptions): Promise<ReplicaSession> {
    const conn = await connectServer(server);
    const core = coreOf(conn);
    // mysql2 re-emits network errors on the connection; the dump promise reports them
    core.on("error", () => undefined);
    try {
      const [rows] = await conn.query("SELECT VERSION() AS v");
      const version = String((rows as { v: string }[])[0]?.v ?? "");
      const flavor = /mariadb/i.test(version) ? "mariadb" : "mysql";
      const [cs] = await conn.query("SELECT @@global.binlog_checksum AS c");
      const checksum = /crc32/i.test(String((cs as { c: string }[])[0]?.c)) ? "crc32" : "none";
      await conn.query("SET @master_binlog_checksum = @@global.binlog_checksum");
      const ns = BigInt(Math.round(o.heartbeatSeconds * 1e9));
      await conn.query(`SET @master_heartbeat_period = ${ns}`);
      if (flavor === "mariadb") {
        await conn.query(`SET @mariadb_slave_capability = ${MARIA_SLAVE_CAPABILITY_GTID}`);
      } else {
        // MySQL 8.0.26+ reads the source_* names; older servers ignore unknown user variables
        await conn.query("SET @source_binlog_checksum = @@global.binlog_checksum");
        await conn.query(`SET @source_heartbeat_period = ${ns}`);
        await conn.query("SET @slave_uuid = ?, @replica_uuid = ?", [o.replicaUuid, o.replicaUuid]);
      }
      return new ReplicaSession(conn, flavor, version, checksum, o);
    } catch (e) {
      conn.destroy();
      throw e;
    }
  }

  private get core(): CoreConnection {
    return coreOf(this.conn);
  }

  /**
   * Registers and streams from `from`; every event payload goes to onEvent in order. Settles only
   * when the stream ends: the server closed it, an error, the watchdog (no event or heartbeat for
   * three heartbeat periods) or destroy().
   */
  async dump(from: DumpFrom, onEvent: (raw: Buffer) => void): Promise<void> {
    const { serverId } = this.o;
    let flags = 0;
    let request: Buffer;
    if ("gtid" in from) {
      if (this.flavor === "mariadb") {
        parseMariaGtidPos(from.gtid);
        await this.conn.query("SET @slave_connect_state = ?", [from.gtid]);
        await this.conn.query("SET @slave_gtid_strict_mode = 0, @slave_gtid_ignore_duplicates = 0");
        flags |= DumpFlag.SEND_ANNOTATE_ROWS;
        request = binlogDumpPayload({ serverId, file: "", position: 4, flags });
      } else {
        request = binlogDumpGtidPayload({ serverId, flags, encodedGtidSet: MysqlGtidSet.parse(from.gtid).encode() });
      }
    } else {
      if (this.flavor === "mariadb") flags |= DumpFlag.SEND_ANNOTATE_ROWS;
      request = binlogDumpPayload({ serverId, file: from.file, position: from.position, flags });
    }
    await sendSimpleCommand(this.core, registerReplicaPayload({ serverId, hostname: os.hostname().slice(0, 60), port: 0 }));
    const failed = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    failed.catch(() => undefined);
    this.armWatchdog();
    try {
      await Promise.race([
        streamCommand(this.core, request, (raw) => {
          // packets already in the socket buffer still arrive after destroy(): drop them
          if (this.destroyed) return;
          this.armWatchdog();
          onEvent(raw);
        }),
        failed,
      ]);
    } finally {
      if (this.watchdog) clearTimeout(this.watchdog);
      this.watchdog = null;
    }
  }

  private armWatchdog() {
    if (this.watchdog) clearTimeout(this.watchdog);
    // without heartbeats an idle server sends nothing, so silence proves nothing
    if (this.paused || this.destroyed || this.o.heartbeatSeconds <= 0) return;
    const limitMs = Math.max(10_000, this.o.heartbeatSeconds * 3000);
    this.watchdog = setTimeout(() => {
      this.destroy(new DomainError("UNAVAILABLE", `No event or heartbeat from ${describeAddress(this.o.server)} for ${Math.round(limitMs / 1000)} s: the network or the server is stuck.`, { retryable: true }));
    }, limitMs);
    this.watchdog.unref?.();
  }

  /** Stops reading from the socket (backpressure from a slow disk); TCP flow control slows the server. */
  pause() {
    if (this.paused) return;
    this.paused = true;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.core.pause();
  }

  resume() {
    if (!this.paused) return;
    this.paused = false;
    this.core.resume();
    this.armWatchdog();
  }

  /** Ends the session; a running dump() rejects with `reason` (or a "stopped" error). */
  destroy(reason?: Error) {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.fail?.(reason ?? new DomainError("UNAVAILABLE", "replication session stopped", { retryable: true }));
    try {
      // mysql2's destroy() only half-closes the socket (FIN) and keeps parsing what the server
      // still sends; a dump must stop for real
      this.core.stream?.destroy();
      this.conn.destroy();
    } catch {
      // already closed
    }
  }
}

export type SessionOptions = { server: ServerAddress; serverId: number; heartbeatSeconds: number; replicaUuid: string };

/** Whether the server lists a registered replica with this server id (another one: ours is disconnected). */
export async function replicaWithServerId(c: mysql.Connection, serverId: number): Promise<boolean> {
  for (const sql of ["SHOW SLAVE HOSTS", "SHOW REPLICAS"]) {
    try {
      const [rows] = await c.query(sql);
      return (rows as Record<string, unknown>[]).some((r) => Number(r.Server_id ?? r.Server_Id) === serverId);
    } catch {
      // try the other spelling (MySQL 8.4 removed SHOW SLAVE HOSTS)
    }
  }
  return false;
}
