import type { ServerFacts } from "../../mysql/server-facts";
import { findTool } from "../../mysql/tools";
import { binlogMonitorPrivilege, grantFor, hasPrivilege } from "../snapshot/privileges";
import type { EngineAvailability } from "../types";

/**
 * mariadb-backup backs up MariaDB, xtrabackup MySQL and Percona Server. Both read the datadir
 * directly, so the server must run on this machine, and both take brief locks (RELOAD) and read
 * the binlog position.
 */
export function mariabackupAvailability(f: ServerFacts, engine: "mariabackup" | "xtrabackup"): EngineAvailability {
  const reasons: string[] = [];
  if (engine === "mariabackup" && f.flavor !== "mariadb") {
    reasons.push(`mariadb-backup backs up MariaDB only; this is ${f.flavor} ${f.version}: use the xtrabackup, clone or logical engine`);
    return { available: false, reasons };
  }
  if (engine === "xtrabackup" && f.flavor === "mariadb") {
    reasons.push("xtrabackup does not support MariaDB: use the mariabackup engine");
    return { available: false, reasons };
  }
  if (!f.isLocal) reasons.push("the server runs on another machine: the tool reads the datadir directly; run a dbbackup runner on the database host or choose another engine");
  const tool = engine === "mariabackup" ? findTool("mariadb-backup", "mariabackup") : findTool("xtrabackup");
  if (!tool) {
    reasons.push(
      engine === "mariabackup"
        ? "mariadb-backup is not installed on this machine: apt-get install mariadb-backup (same version as the server)"
        : `xtrabackup is not installed on this machine: install percona-xtrabackup for MySQL ${f.version.split(".").slice(0, 2).join(".")}`,
    );
  }
  if (!hasPrivilege(f, "RELOAD")) reasons.push(`the account lacks RELOAD: ${grantFor(f, "RELOAD")}`);
  if (!hasPrivilege(f, "PROCESS")) reasons.push(`the account lacks PROCESS: ${grantFor(f, "PROCESS")}`);
  if (f.flavor !== "mariadb" && !hasPrivilege(f, "BACKUP_ADMIN")) reasons.push(`the account lacks BACKUP_ADMIN: ${grantFor(f, "BACKUP_ADMIN")}`);
  if (f.binlog.enabled) {
    const p = binlogMonitorPrivilege(f);
    if (!hasPrivilege(f, p, "REPLICATION CLIENT")) reasons.push(`the account lacks ${p} (binlog coordinates): ${grantFor(f, p)}`);
  }
  return { available: reasons.length === 0, reasons };
}
