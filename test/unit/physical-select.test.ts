// Engine selection by the seed's rules, and the `engine list|select` report in the seed's format.
import { describe, expect, it } from "vitest";
import { createCloneEngine } from "../../server/engines/clone/clone-engine";
import { createMariabackupEngine } from "../../server/engines/mariabackup/mariabackup-engine";
import { listEngines, registerEngine, selectEngine } from "../../server/engines/registry";
import { formatEngineReport, gatherEngineReport } from "../../server/engines/select/engine-report";
import { createEngineSelector, defaultEngineSelector } from "../../server/engines/select/select-engine";
import { createSnapshotEngine } from "../../server/engines/snapshot/snapshot-engine";
import type { BackupEngine } from "../../server/engines/types";
import type { ServerFacts } from "../../server/mysql/server-facts";

const GB = 2 ** 30;

function facts(over: Partial<ServerFacts>): ServerFacts {
  return {
    version: "10.11.19", versionComment: "Debian 12", fullVersion: "10.11.19-MariaDB-log", flavor: "mariadb", serverId: 1, hostname: "db1",
    datadir: "/var/lib/mysql", datadirFilesystem: "ext4", isLocal: true,
    binlog: { enabled: true, format: "ROW", rowImage: "FULL", checksum: "CRC32", basename: "/var/lib/mysql/binlog", currentFile: "binlog.000001", currentPosition: 4, expireSeconds: null },
    gtid: { enabled: true, mode: null, executed: "0-1-10", strictMode: false, domainId: 0 },
    clonePlugin: "unsupported", privileges: ["RELOAD", "PROCESS", "LOCK TABLES", "BINLOG MONITOR", "REPLICATION CLIENT", "SELECT", "BACKUP_ADMIN"], grants: [], user: "bk@%",
    sizes: [], totalBytes: 1.2 * GB, innodb: { filePerTable: true, bufferPoolBytes: GB }, timeZone: "UTC", lowerCaseTableNames: 0, collectedAt: "2026-11-23T00:00:00Z",
    ...over,
  };
}

const named = (...names: string[]) => names.map((name) => ({ name, description: name, layout: "tar", availability: () => ({ available: true, reasons: [] }), backup: async () => { throw new Error("not here"); } }) as BackupEngine);

const mariadbSmallExt4 = facts({ totalBytes: 1.2 * GB });
const mariadb50Btrfs = facts({ totalBytes: 50 * GB, datadirFilesystem: "btrfs" });
const mysql8Clone = facts({ flavor: "mysql", version: "8.0.35", fullVersion: "8.0.35", versionComment: "MySQL Community Server - GPL", clonePlugin: "active", totalBytes: 250 * GB, datadirFilesystem: "zfs", gtid: { enabled: true, mode: "ON", executed: "x:1-5", strictMode: null, domainId: null } });
const mysql57Remote = facts({ flavor: "mysql", version: "5.7.44", fullVersion: "5.7.44-log", versionComment: "MySQL Community Server (GPL)", clonePlugin: "absent", totalBytes: 30 * GB, isLocal: false, datadirFilesystem: null });

describe("selector rules (pure: given the available engines)", () => {
  const select = defaultEngineSelector;
  it("MariaDB, small, local on ext4: logical, because it is small", () => {
    const c = select(mariadbSmallExt4, named("logical", "mariabackup"))!;
    expect(c.engine.name).toBe("logical");
    expect(c.reason).toBe("1.2GB database (under 10GB): logical backup is portable across versions and restores table by table");
  });
  it("MariaDB, 50 GB on Btrfs with mariabackup installed: snapshot (milliseconds of lock) before mariabackup", () => {
    const c = select(mariadb50Btrfs, named("logical", "mariabackup", "snapshot"))!;
    expect(c.engine.name).toBe("snapshot");
    expect(c.reason).toBe("datadir on btrfs supports snapshots: writes blocked for milliseconds, optimal for 50GB database");
    const noSnap = select(mariadb50Btrfs, named("logical", "mariabackup"))!;
    expect(noSnap.engine.name).toBe("mariabackup");
    expect(noSnap.reason).toBe("MariaDB 10.11.19 with mariadb-backup installed: hot physical backup, optimal for 50GB database");
  });
  it("MySQL 8.0.35, 250 GB, clone plugin active: clone, with the seed's reason", () => {
    const c = select(mysql8Clone, named("logical", "clone", "snapshot"))!;
    expect(c.engine.name).toBe("clone");
    expect(c.reason).toBe("MySQL 8.0.17+ with clone plugin active, optimal for 250GB database");
  });
  it("the cloud destination rule: to S3, a streaming physical engine beats clone's full local copy", () => {
    const c = createEngineSelector({ destination: "s3" })(mysql8Clone, named("logical", "clone", "snapshot"))!;
    expect(c.engine.name).toBe("snapshot");
    expect(c.reason).toBe("datadir on zfs supports snapshots: writes blocked for milliseconds, optimal for 250GB database (streams straight to S3; clone would first need 250GB of local space)");
    expect(createEngineSelector({ destination: "s3" })(mysql8Clone, named("logical", "clone"))!.engine.name).toBe("clone");
  });
  it("MySQL 5.7 on a remote host: logical, saying why nothing physical fits", () => {
    const c = select(mysql57Remote, named("logical"))!;
    expect(c.engine.name).toBe("logical");
    expect(c.reason).toBe(
      "MySQL 5.7.44 on a remote host: snapshot and xtrabackup need a runner on the database host; clone needs MySQL 8.0.17+: logical backup works with every version (30GB database, expect a long run)",
    );
  });
});

describe("selectEngine with the registered engines (their own availability checks)", () => {
  registerEngine(named("logical")[0]!);
  registerEngine(createSnapshotEngine());
  registerEngine(createMariabackupEngine("mariabackup"));
  registerEngine(createMariabackupEngine("xtrabackup"));
  registerEngine(createCloneEngine());

  it.each([
    ["MariaDB small on ext4", mariadbSmallExt4, "logical"],
    ["MariaDB 50 GB on btrfs, mariabackup installed (this machine has btrfs-progs and mariadb-backup)", mariadb50Btrfs, "snapshot"],
    ["MySQL 8.0.35 250 GB, clone active", mysql8Clone, "clone"],
    ["MySQL 5.7 remote", mysql57Remote, "logical"],
  ])("%s -> %s", (_n, f, want) => {
    expect(selectEngine(f).engine.name).toBe(want);
  });

  it("engines that cannot run say why, with the fix", () => {
    const byName = Object.fromEntries(listEngines().map((e) => [e.name, e.availability(mysql57Remote)]));
    expect(byName.clone!.reasons.join(" ")).toMatch(/needs MySQL 8\.0\.17 or later; this is 5\.7\.44/);
    expect(byName.snapshot!.reasons.join(" ")).toMatch(/runs on another machine/);
    expect(byName.xtrabackup!.reasons.join(" ")).toMatch(/another machine/);
    expect(byName.mariabackup!.reasons.join(" ")).toMatch(/MariaDB only/);
    const noReload = createSnapshotEngine().availability({ ...mariadb50Btrfs, privileges: ["SELECT"] });
    expect(noReload.reasons).toEqual([
      "the account lacks RELOAD (needed for the brief commit lock): GRANT RELOAD ON *.* TO 'bk'@'%';",
      "the account lacks BINLOG MONITOR (needed to record binlog coordinates): GRANT BINLOG MONITOR ON *.* TO 'bk'@'%';",
    ]);
  });

  it("the report for `dbbackup engine select` is the seed's block, and a structured version", () => {
    const r = gatherEngineReport(mysql8Clone);
    expect(r.info).toEqual({ version: "8.0.35", flavor: "MySQL", dataSizeBytes: 250 * GB, dataSize: "250.00 GB", clonePlugin: true, binlog: true, gtid: true, filesystem: "zfs", snapshot: true });
    expect(r.recommendation).toEqual({ engine: "clone", reason: "MySQL 8.0.17+ with clone plugin active, optimal for 250GB database" });
    expect(formatEngineReport(r)).toBe(
      [
        "Database Information:",
        "--------------------------------------------------",
        "Version:      8.0.35",
        "Flavor:       MySQL",
        "Data Size:    250.00 GB",
        "Clone Plugin: true",
        "Binlog:       true",
        "GTID:         true",
        "Filesystem:   zfs",
        "Snapshot:     true",
        "",
        "Recommendation:",
        "--------------------------------------------------",
        "Engine:       clone",
        "Reason:       MySQL 8.0.17+ with clone plugin active, optimal for 250GB database",
        "",
      ].join("\n"),
    );
    // `engine list`: every engine with its availability and reasons
    const list = formatEngineReport(r, { engines: true });
    expect(list).toMatch(/^Engines:$/m);
    expect(list).toMatch(/^clone\s+available\s+MySQL 8\.0\.17\+ clone plugin/m);
    expect(list).toMatch(/^mariabackup\s+unavailable .*\n\s+- mariadb-backup backs up MariaDB only/m);
    expect(r.engines.map((e) => e.name)).toEqual(["logical", "snapshot", "mariabackup", "xtrabackup", "clone"]);
  });
});
