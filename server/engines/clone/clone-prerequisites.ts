import { DomainError } from "../../errors";
import { detectFlavor, parseGlobalPrivileges } from "../../mysql/introspect";
import { versionAtLeast } from "../../mysql/server-facts";
import type { SqlSession } from "./sql-session";

export const VERSION_SQL = "SELECT @@version AS version, @@version_comment AS comment, @@datadir AS datadir";
export const PLUGIN_SQL = "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'clone'";
export const GRANTS_SQL = "SHOW GRANTS FOR CURRENT_USER()";
export const NON_INNODB_SQL =
  "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, ENGINE AS e FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND ENGINE <> 'InnoDB' AND TABLE_SCHEMA NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema') ORDER BY 1, 2";

export type CloneServer = { version: string; fullVersion: string; datadir: string; user: string; host: string };

function grantLineAccount(grants: string[]): { user: string; host: string } {
  for (const g of grants) {
    const m = /\bTO\s+[`'"]?([^`'"@]*)[`'"]?@[`'"]?([^`'"\s]*)[`'"]?/i.exec(g);
    if (m) return { user: m[1]!, host: m[2] || "%" };
  }
  return { user: "backup", host: "%" };
}

export function grantStatement(priv: string, account: { user: string; host: string }) {
  return `GRANT ${priv} ON *.* TO '${account.user}'@'${account.host}';`;
}

/**
 * Checks one side of a clone before anything is started, in the order a DBA would fix them:
 * flavor and version, plugin, privilege. Each failure carries the statement that fixes it.
 */
export async function checkCloneServer(s: SqlSession, opts: { name: string; privilege: "BACKUP_ADMIN" | "CLONE_ADMIN"; role: string }): Promise<CloneServer> {
  const [v] = await s.rows<{ version: string; comment: string; datadir: string }>(VERSION_SQL);
  const fullVersion = v?.version ?? "";
  const version = /^(\d+\.\d+\.\d+)/.exec(fullVersion)?.[1] ?? fullVersion;
  if (detectFlavor(fullVersion, v?.comment ?? "") === "mariadb") {
    throw new DomainError("PRECONDITION", `${opts.name} (${opts.role}) is MariaDB ${version}, which has no clone plugin: use the mariabackup, snapshot or logical engine.`);
  }
  if (!versionAtLeast(version, "8.0.17")) {
    throw new DomainError("PRECONDITION", `${opts.name} (${opts.role}) runs MySQL ${version}; the clone plugin needs 8.0.17 or later. Upgrade, or use the xtrabackup, snapshot or logical engine.`);
  }
  const [p] = await s.rows<{ PLUGIN_STATUS: string }>(PLUGIN_SQL);
  if (!p) throw new DomainError("PRECONDITION", `Clone plugin not found on ${opts.name}: INSTALL PLUGIN clone SONAME 'mysql_clone.so';`);
  if (p.PLUGIN_STATUS !== "ACTIVE") {
    throw new DomainError("PRECONDITION", `The clone plugin on ${opts.name} is ${p.PLUGIN_STATUS}: load it (plugin-load-add=mysql_clone.so in my.cnf, then restart) or UNINSTALL and INSTALL PLUGIN clone SONAME 'mysql_clone.so';`);
  }
  const grants = (await s.rows<Record<string, string>>(GRANTS_SQL)).map((r) => Object.values(r)[0]!);
  const account = grantLineAccount(grants);
  const privs = parseGlobalPrivileges(grants);
  if (!privs.includes(opts.privilege)) {
    throw new DomainError("PRECONDITION", `Insufficient privileges on ${opts.name}: the ${opts.role} account needs ${opts.privilege}: ${grantStatement(opts.privilege, account)}`);
  }
  return { version, fullVersion, datadir: v?.datadir ?? "", ...account };
}

/** Remote clone needs the same series on both sides, and before 8.0.37 the same release. */
export function checkVersionsMatch(donor: CloneServer, recipient: CloneServer, names: { donor: string; recipient: string }) {
  const series = (v: string) => v.split(".").slice(0, 2).join(".");
  const same = series(donor.version) === series(recipient.version) && (donor.version === recipient.version || (versionAtLeast(donor.version, "8.0.37") && versionAtLeast(recipient.version, "8.0.37")));
  if (!same) {
    throw new DomainError(
      "PRECONDITION",
      `Donor ${names.donor} runs MySQL ${donor.version} but recipient ${names.recipient} runs ${recipient.version}: clone needs the same series (and before 8.0.37 the same release). Upgrade the recipient to ${donor.version}.`,
    );
  }
}
