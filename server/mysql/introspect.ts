import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { promisify } from "node:util";
import type mysql from "mysql2/promise";
import { queryRows } from "./connect";
import type { ServerAddress } from "./connection-options";
import { refineFilesystemType } from "./filesystem-type";
import type { Flavor, ServerFacts } from "./server-facts";

const execFileP = promisify(execFile);

// Privileges that "ALL PRIVILEGES" grants, for the checks that name one.
const ALL_PRIVS = [
  "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "RELOAD", "SHUTDOWN", "PROCESS", "FILE", "REFERENCES", "INDEX",
  "ALTER", "SHOW DATABASES", "SUPER", "CREATE TEMPORARY TABLES", "LOCK TABLES", "EXECUTE", "REPLICATION SLAVE",
  "REPLICATION CLIENT", "BINLOG MONITOR", "CREATE VIEW", "SHOW VIEW", "CREATE ROUTINE", "ALTER ROUTINE", "CREATE USER",
  "EVENT", "TRIGGER", "CREATE TABLESPACE", "DELETE HISTORY", "SET USER", "FEDERATED ADMIN", "CONNECTION ADMIN",
  "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN", "REPLICATION MASTER ADMIN", "BINLOG ADMIN", "BINLOG REPLAY", "SLAVE MONITOR",
  "BACKUP_ADMIN", "CLONE_ADMIN",
];

export function detectFlavor(fullVersion: string, comment: string): Flavor {
  if (/mariadb/i.test(fullVersion) || /mariadb/i.test(comment)) return "mariadb";
  if (/percona/i.test(comment)) return "percona";
  return "mysql";
}

export function parseGlobalPrivileges(grants: string[]): string[] {
  const privs = new Set<string>();
  for (const g of grants) {
    const m = /^GRANT (.+?) ON \*\.\* TO /i.exec(g);
    if (!m) continue;
    for (const p of m[1]!.split(",")) {
      const name = p.trim().toUpperCase();
      if (name === "ALL PRIVILEGES" || name === "ALL") ALL_PRIVS.forEach((x) => privs.add(x));
      else privs.add(name);
    }
  }
  return [...privs].sort();
}

export function isLocalAddress(a: Pick<ServerAddress, "host" | "socket">): boolean {
  if (a.socket) return true;
  const h = (a.host || "localhost").toLowerCase();
  if (["localhost", "127.0.0.1", "::1", os.hostname().toLowerCase()].includes(h)) return true;
  return Object.values(os.networkInterfaces()).some((list) => list?.some((i) => i.address === h));
}

/** Filesystem type of a path on this machine (stat -f), or null if it cannot be read. */
export async function filesystemOf(p: string): Promise<string | null> {
  try {
    if (!fs.existsSync(p)) return null;
    const { stdout } = await execFileP("stat", ["-f", "-c", "%T", p], { timeout: 3000 });
    // statfs says "ext2/ext3" for ext4 too: the mount table tells them apart
    return refineFilesystemType(stdout.trim() || null, p);
  } catch {
    return null;
  }
}

async function variables(c: mysql.Connection, names: string[]): Promise<Record<string, string | null>> {
  const rows = await queryRows<{ Variable_name: string; Value: string }>(
    c,
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(() => "?").join(",")})`,
    names,
  );
  const out: Record<string, string | null> = Object.fromEntries(names.map((n) => [n, null]));
  for (const r of rows) out[r.Variable_name] = r.Value;
  return out;
}

/** Gathers the facts dbbackup needs about a server over one connection. */
export async function introspectServer(c: mysql.Connection, address: Pick<ServerAddress, "host" | "socket">): Promise<ServerFacts> {
  const v = await variables(c, [
    "version", "version_comment", "server_id", "hostname", "datadir", "log_bin", "log_bin_basename", "binlog_format",
    "binlog_row_image", "binlog_checksum", "gtid_mode", "gtid_executed", "gtid_binlog_pos", "gtid_strict_mode", "gtid_domain_id",
    "expire_logs_days", "binlog_expire_logs_seconds", "innodb_file_per_table", "innodb_buffer_pool_size", "time_zone",
    "system_time_zone", "lower_case_table_names",
  ]);
  const fullVersion = v.version ?? "";
  const versionComment = v.version_comment ?? "";
  const flavor = detectFlavor(fullVersion, versionComment);
  const version = /^(\d+\.\d+\.\d+)/.exec(fullVersion)?.[1] ?? fullVersion;

  const binlogEnabled = (v.log_bin ?? "OFF").toUpperCase() === "ON";
  let currentFile: string | null = null;
  let currentPosition: number | null = null;
  if (binlogEnabled) {
    try {
      const rows = await queryRows<{ File: string; Position: number | string }>(c, flavor === "mysql" && /^8\.[4-9]|^9\./.test(version) ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS");
      if (rows[0]) {
        currentFile = rows[0].File;
        currentPosition = Number(rows[0].Position);
      }
    } catch {
      // needs REPLICATION CLIENT / BINLOG MONITOR; the prerequisites list says so
    }
  }

  let clonePlugin: ServerFacts["clonePlugin"] = "unsupported";
  if (flavor !== "mariadb") {
    const p = await queryRows<{ PLUGIN_STATUS: string }>(c, "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'clone'");
    clonePlugin = p[0] ? (p[0].PLUGIN_STATUS === "ACTIVE" ? "active" : "inactive") : "absent";
  }

  const grantRows = await queryRows<Record<string, string>>(c, "SHOW GRANTS FOR CURRENT_USER()");
  const grants = grantRows.map((r) => Object.values(r)[0]!);
  const [{ u }] = await queryRows<{ u: string }>(c, "SELECT CURRENT_USER() AS u");

  const sizeRows = await queryRows<{ name: string; tables: number | string; data: number | string | null; idx: number | string | null }>(
    c,
    `SELECT s.SCHEMA_NAME AS name, COUNT(t.TABLE_NAME) AS tables,
            COALESCE(SUM(t.DATA_LENGTH), 0) AS data, COALESCE(SUM(t.INDEX_LENGTH), 0) AS idx
       FROM information_schema.SCHEMATA s
       LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME AND t.TABLE_TYPE IN ('BASE TABLE', 'SEQUENCE')
      WHERE s.SCHEMA_NAME NOT IN ('information_schema', 'performance_schema', 'sys')
      GROUP BY s.SCHEMA_NAME ORDER BY s.SCHEMA_NAME`,
  );
  const sizes = sizeRows.map((r) => ({ name: r.name, tables: Number(r.tables), dataBytes: Number(r.data ?? 0), indexBytes: Number(r.idx ?? 0) }));
  const userSizes = sizes.filter((s) => s.name !== "mysql");

  const isLocal = isLocalAddress(address);
  const datadir = v.datadir ?? "";
  const expireSeconds =
    v.binlog_expire_logs_seconds && Number(v.binlog_expire_logs_seconds) > 0
      ? Number(v.binlog_expire_logs_seconds)
      : v.expire_logs_days && Number(v.expire_logs_days) > 0
        ? Number(v.expire_logs_days) * 86400
        : null;

  return {
    version,
    versionComment,
    fullVersion,
    flavor,
    serverId: Number(v.server_id ?? 0),
    hostname: v.hostname ?? "",
    datadir,
    datadirFilesystem: isLocal && datadir ? await filesystemOf(datadir) : null,
    isLocal,
    binlog: {
      enabled: binlogEnabled,
      format: v.binlog_format,
      rowImage: v.binlog_row_image,
      checksum: v.binlog_checksum,
      basename: v.log_bin_basename,
      currentFile,
      currentPosition,
      expireSeconds,
    },
    gtid:
      flavor === "mariadb"
        ? {
            enabled: binlogEnabled,
            mode: null,
            executed: v.gtid_binlog_pos,
            strictMode: (v.gtid_strict_mode ?? "OFF").toUpperCase() === "ON",
            domainId: v.gtid_domain_id === null ? null : Number(v.gtid_domain_id),
          }
        : { enabled: (v.gtid_mode ?? "OFF").toUpperCase() === "ON", mode: v.gtid_mode, executed: v.gtid_executed, strictMode: null, domainId: null },
    clonePlugin,
    privileges: parseGlobalPrivileges(grants),
    grants,
    user: u,
    sizes,
    totalBytes: userSizes.reduce((s, x) => s + x.dataBytes + x.indexBytes, 0),
    innodb: {
      filePerTable: v.innodb_file_per_table === null ? null : v.innodb_file_per_table.toUpperCase() === "ON",
      bufferPoolBytes: v.innodb_buffer_pool_size === null ? null : Number(v.innodb_buffer_pool_size),
    },
    timeZone: v.time_zone === "SYSTEM" ? `SYSTEM (${v.system_time_zone})` : (v.time_zone ?? ""),
    lowerCaseTableNames: Number(v.lower_case_table_names ?? 0),
    collectedAt: new Date().toISOString(),
  };
}
