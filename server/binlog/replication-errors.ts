import { DomainError, isDomainError } from "../errors";
import { describeAddress, type ServerAddress } from "../mysql/connection-options";
import { explainMysqlError } from "../mysql/explain-error";

type MysqlishError = Error & { code?: string; errno?: number; sqlMessage?: string; fatal?: boolean };

export const DEFAULT_SERVER_ID = 99999;

export function serverIdConflictError(where: string, serverId: number, detail: string): DomainError {
  return new DomainError(
    "CONFLICT",
    `Another replica with server id ${serverId} is connected to ${where}, and the server disconnects one of the two each time the other connects (${detail}). Ensure a unique --server-id across all replicas and archivers (SHOW SLAVE HOSTS on the server lists them); the default is ${DEFAULT_SERVER_ID}, change it if it conflicts.`,
    { field: "serverId" },
  );
}

export function purgedBinlogError(where: string, at: string, detail: string): DomainError {
  return new DomainError(
    "PRECONDITION",
    `The binlog the archive needs next (${at}) is no longer on ${where}: it was purged (PURGE BINARY LOGS, expire_logs_days or binlog_expire_logs_seconds) before it was archived. Point-in-time recovery has a gap from ${at} until the next full backup: take a full backup now, and keep binlogs longer on the server so the archiver can catch up after an outage. (Server said: ${detail})`,
  );
}

/**
 * Turns whatever a replication session failed with into a DomainError: retryable for what a
 * reconnect can fix (network, server restart, a KILL), not retryable for what it cannot (purged
 * binlogs, a server-id conflict, missing privileges, a corrupt binlog on the server).
 */
export function explainReplicationError(e: unknown, a: ServerAddress, o: { serverId: number; at: string }): DomainError {
  if (isDomainError(e)) return e;
  const err = e as MysqlishError;
  const where = describeAddress(a);
  const msg = err?.sqlMessage ?? err?.message ?? String(e);
  if (/same server_uuid\/server_id|same server_id|same server_uuid/i.test(msg)) return serverIdConflictError(where, o.serverId, msg);
  if (/Could not find first log file name in binary log index file|Could not find GTID state requested|required binlog files have been purged|have been purged|purged binary logs containing GTIDs/i.test(msg))
    return purgedBinlogError(where, o.at, msg);
  if (/which is not in the master's binlog|diverged|not found in the binlog|GTID .* not .* binlog/i.test(msg))
    return new DomainError("PRECONDITION", `${where} cannot start sending binlogs at ${o.at}: ${msg}. Check the GTID: it must be one the server has in its binlogs (SELECT @@gtid_binlog_pos on MariaDB, @@gtid_executed on MySQL).`);
  if (/REPLICATION SLAVE|REPLICATION REPLICA|BINLOG MONITOR|REPLICATION CLIENT/i.test(msg) || err.code === "ER_SPECIFIC_ACCESS_DENIED_ERROR")
    return new DomainError(
      "PRECONDITION",
      `The account ${JSON.stringify(a.user)} may not read binlogs on ${where}: ${msg}. Grant it: GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${a.user}'@'%'; (MySQL: GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO ...).`,
    );
  if (err.errno === 1236 || err.code === "ER_MASTER_FATAL_ERROR_READING_BINLOG" || err.code === "ER_SOURCE_FATAL_ERROR_READING_BINLOG")
    return new DomainError("PRECONDITION", `${where} stopped sending binlogs at ${o.at}: ${msg}. The binlog on the server may be damaged or the position invalid; check it with mariadb-binlog on the server.`);
  const network = ["PROTOCOL_CONNECTION_LOST", "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ER_CONNECTION_KILLED", "ER_SERVER_SHUTDOWN", "ER_QUERY_INTERRUPTED"];
  if (network.includes(err.code ?? "") || err.errno === 1927 || err.errno === 1053 || err.fatal) {
    const { message } = explainMysqlError(e, a);
    return new DomainError("UNAVAILABLE", `Replication connection to ${where} ended at ${o.at}: ${message}`, { retryable: true, cause: e });
  }
  return new DomainError("UNAVAILABLE", `Replication from ${where} failed at ${o.at}: ${msg}${err.code ? ` (${err.code})` : ""}`, { retryable: false, cause: e });
}
