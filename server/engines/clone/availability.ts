import { versionAtLeast, type ServerFacts } from "../../mysql/server-facts";
import { grantFor, hasPrivilege } from "../snapshot/privileges";
import type { EngineAvailability } from "../types";

/** What a clone backup needs, each missing piece with the statement or step that fixes it. */
export function cloneAvailability(f: ServerFacts): EngineAvailability {
  const reasons: string[] = [];
  if (f.flavor === "mariadb") {
    return { available: false, reasons: ["MariaDB has no clone plugin (MySQL 8.0.17+ only): use the mariabackup, snapshot or logical engine"] };
  }
  if (!versionAtLeast(f.version, "8.0.17")) {
    reasons.push(`the clone plugin needs MySQL 8.0.17 or later; this is ${f.version}: upgrade, or use the xtrabackup, snapshot or logical engine`);
    return { available: false, reasons };
  }
  if (f.clonePlugin !== "active") {
    reasons.push(f.clonePlugin === "absent" ? "Clone plugin not found: INSTALL PLUGIN clone SONAME 'mysql_clone.so';" : `the clone plugin is ${f.clonePlugin}: check plugin_load / clone=FORCE_PLUS_PERMANENT in my.cnf and restart, or INSTALL PLUGIN clone SONAME 'mysql_clone.so';`);
  }
  if (!hasPrivilege(f, "BACKUP_ADMIN")) reasons.push(`Insufficient privileges: ${grantFor(f, "BACKUP_ADMIN")}`);
  if (!f.isLocal) {
    reasons.push("the server runs on another machine: a local clone is written by the server into its own filesystem; clone it remotely into a recipient MySQL on this machine (cloneRemote with recipient) instead");
  }
  return { available: reasons.length === 0, reasons };
}
