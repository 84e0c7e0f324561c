import { versionAtLeast, type EnginePrerequisites, type Prerequisite, type ServerFacts } from "./server-facts";
import { findTool } from "./tools";

function hasPriv(f: ServerFacts, ...names: string[]): boolean {
  return names.some((n) => f.privileges.includes(n) || f.privileges.includes("SUPER"));
}

function grant(f: ServerFacts, priv: string): string {
  const [user, host] = f.user.split("@");
  return `GRANT ${priv} ON *.* TO '${user}'@'${host ?? "%"}';`;
}

/** Privilege to read binlog coordinates: BINLOG MONITOR on MariaDB 10.5+, REPLICATION CLIENT elsewhere. */
function binlogMonitorPriv(f: ServerFacts): string {
  return f.flavor === "mariadb" && versionAtLeast(f.version, "10.5") ? "BINLOG MONITOR" : "REPLICATION CLIENT";
}

function logicalChecks(f: ServerFacts): Prerequisite[] {
  const checks: Prerequisite[] = [
    { ok: hasPriv(f, "SELECT"), what: "SELECT on the databases to back up", fix: grant(f, "SELECT") },
    { ok: hasPriv(f, "SHOW VIEW"), what: "SHOW VIEW (view definitions)", fix: grant(f, "SHOW VIEW") },
    { ok: hasPriv(f, "TRIGGER"), what: "TRIGGER (trigger definitions)", fix: grant(f, "TRIGGER") },
    { ok: hasPriv(f, "EVENT"), what: "EVENT (scheduled events)", fix: grant(f, "EVENT") },
    { ok: hasPriv(f, "RELOAD"), what: "RELOAD (a consistent snapshot across parallel connections takes a brief lock)", fix: grant(f, "RELOAD") },
  ];
  if (f.binlog.enabled) {
    const p = binlogMonitorPriv(f);
    checks.push({ ok: hasPriv(f, p, "REPLICATION CLIENT"), what: `${p} (record the binlog coordinates of the snapshot, for PITR)`, fix: grant(f, p) });
  }
  return checks;
}

function binlogChecks(f: ServerFacts): Prerequisite[] {
  return [
    { ok: f.binlog.enabled, what: "binary logging enabled", fix: "Set log_bin=ON (e.g. log-bin=mysql-bin in my.cnf) and server_id, then restart the server." },
    {
      ok: (f.binlog.format ?? "").toUpperCase() === "ROW",
      what: `binlog_format=ROW (now ${f.binlog.format ?? "unknown"}) for exact point-in-time replay`,
      fix: "SET GLOBAL binlog_format = 'ROW'; and binlog_format=ROW in my.cnf",
    },
    {
      ok: (f.binlog.rowImage ?? "FULL").toUpperCase() === "FULL",
      what: `binlog_row_image=FULL (now ${f.binlog.rowImage ?? "unknown"})`,
      fix: "SET GLOBAL binlog_row_image = 'FULL'; and binlog_row_image=FULL in my.cnf",
    },
    { ok: hasPriv(f, "REPLICATION SLAVE"), what: "REPLICATION SLAVE (stream binlogs as a replica)", fix: grant(f, "REPLICATION SLAVE") },
    ...(f.flavor === "mariadb"
      ? []
      : [
          {
            ok: f.gtid.enabled,
            what: "GTID mode ON (optional; lets point-in-time restores target a GTID)",
            fix: "SET GLOBAL gtid_mode = ON_PERMISSIVE; SET GLOBAL enforce_gtid_consistency = ON; SET GLOBAL gtid_mode = ON;",
          },
        ]),
  ];
}

function cloneChecks(f: ServerFacts): Prerequisite[] {
  if (f.flavor === "mariadb") {
    return [{ ok: false, what: "MySQL 8.0.17+ (MariaDB has no clone plugin)", fix: "Use the mariabackup, snapshot or logical engine for MariaDB." }];
  }
  return [
    { ok: versionAtLeast(f.version, "8.0.17"), what: `MySQL 8.0.17 or later (this is ${f.version})`, fix: "Upgrade to MySQL 8.0.17+ or use another engine." },
    {
      ok: f.clonePlugin === "active",
      what: `clone plugin active (now ${f.clonePlugin})`,
      fix: "INSTALL PLUGIN clone SONAME 'mysql_clone.so';",
    },
    { ok: hasPriv(f, "BACKUP_ADMIN"), what: "BACKUP_ADMIN privilege", fix: grant(f, "BACKUP_ADMIN") },
  ];
}

function snapshotChecks(f: ServerFacts): Prerequisite[] {
  const fs = f.datadirFilesystem;
  const supported = fs === "btrfs" || fs === "zfs";
  return [
    { ok: f.isLocal, what: "server runs on the runner's machine (snapshots are taken of the local datadir)", fix: "Run a runner on the database host, or choose another engine." },
    {
      ok: supported,
      what: `datadir ${f.datadir || "?"} on a snapshot-capable filesystem (found ${fs ?? "unknown"}; Btrfs, ZFS or LVM)`,
      fix: "Put the datadir on a Btrfs subvolume, a ZFS dataset or an LVM logical volume with free extents in its volume group.",
    },
    {
      ok: fs !== "btrfs" || !!findTool("btrfs"),
      what: "btrfs command available",
      fix: "apt-get install btrfs-progs",
    },
    { ok: hasPriv(f, "RELOAD"), what: "RELOAD (brief FLUSH TABLES WITH READ LOCK)", fix: grant(f, "RELOAD") },
  ];
}

function mariabackupChecks(f: ServerFacts): Prerequisite[] {
  const tool = f.flavor === "mariadb" ? findTool("mariadb-backup", "mariabackup") : findTool("xtrabackup");
  const toolName = f.flavor === "mariadb" ? "mariabackup" : "xtrabackup";
  return [
    { ok: f.isLocal, what: "server runs on the runner's machine (the tool reads the datadir)", fix: "Run a runner on the database host, or choose another engine." },
    {
      ok: !!tool,
      what: `${toolName} on PATH`,
      fix: f.flavor === "mariadb" ? "apt-get install mariadb-backup" : "Install percona-xtrabackup matching the server's major version.",
    },
    { ok: hasPriv(f, "RELOAD"), what: "RELOAD", fix: grant(f, "RELOAD") },
    { ok: hasPriv(f, "PROCESS"), what: "PROCESS", fix: grant(f, "PROCESS") },
    { ok: hasPriv(f, "LOCK TABLES"), what: "LOCK TABLES", fix: grant(f, "LOCK TABLES") },
    { ok: hasPriv(f, binlogMonitorPriv(f), "REPLICATION CLIENT"), what: binlogMonitorPriv(f), fix: grant(f, binlogMonitorPriv(f)) },
  ];
}

export function enginePrerequisites(f: ServerFacts): EnginePrerequisites[] {
  const list: [string, Prerequisite[]][] = [
    ["logical", logicalChecks(f)],
    ["clone", cloneChecks(f)],
    ["snapshot", snapshotChecks(f)],
    ["mariabackup", mariabackupChecks(f)],
    ["binlog-archive", binlogChecks(f)],
  ];
  return list.map(([engine, checks]) => ({
    engine,
    // GTID on MySQL is advisory: PITR works by position without it.
    available: checks.every((c) => c.ok || c.what.startsWith("GTID mode ON (optional")),
    checks,
  }));
}
