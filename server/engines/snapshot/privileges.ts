import { versionAtLeast, type ServerFacts } from "../../mysql/server-facts";

/** Whether the backup account has one of these global privileges (SUPER covers the old ones). */
export function hasPrivilege(f: ServerFacts, ...names: string[]): boolean {
  return names.some((n) => f.privileges.includes(n)) || (f.privileges.includes("SUPER") && !names.some((n) => /_ADMIN$/.test(n)));
}

/** The statement that grants a global privilege to the backup account. */
export function grantFor(f: ServerFacts, priv: string): string {
  const [user, host] = (f.user || "backup@%").split("@");
  return `GRANT ${priv} ON *.* TO '${user}'@'${host ?? "%"}';`;
}

/** The privilege that reads binlog coordinates: BINLOG MONITOR on MariaDB 10.5+, REPLICATION CLIENT elsewhere. */
export function binlogMonitorPrivilege(f: ServerFacts): string {
  return f.flavor === "mariadb" && versionAtLeast(f.version, "10.5") ? "BINLOG MONITOR" : "REPLICATION CLIENT";
}

/** Reasons (with the fix) for the privileges a brief commit lock plus coordinates need. */
export function lockPrivilegeReasons(f: ServerFacts): string[] {
  const out: string[] = [];
  if (!hasPrivilege(f, "RELOAD")) out.push(`the account lacks RELOAD (needed for the brief commit lock): ${grantFor(f, "RELOAD")}`);
  if (f.binlog.enabled) {
    const p = binlogMonitorPrivilege(f);
    if (!hasPrivilege(f, p, "REPLICATION CLIENT")) out.push(`the account lacks ${p} (needed to record binlog coordinates): ${grantFor(f, p)}`);
  }
  return out;
}
