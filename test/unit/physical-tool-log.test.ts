// Reading lock times and coordinates from mariadb-backup / xtrabackup logs.
import { describe, expect, it } from "vitest";
import { coordinatesFromInfo, parseInfoFile, ToolLog } from "../../server/engines/mariabackup/tool-log";

/** Feeds lines as if they arrived at the given milliseconds. */
function replay(lines: [number, string][]) {
  let now = 0;
  const log = new ToolLog(undefined, () => now);
  for (const [t, l] of lines) {
    now = t;
    log.push(l + "\n");
  }
  log.end();
  return log;
}

describe("ToolLog", () => {
  it("mariadb-backup 10.11 (lines as captured from a run here): BACKUP STAGE timings and the binlog position", () => {
    const log = replay([
      [53, "[00] 2026-11-23 23:10:04 Starting BACKUP STAGE START"],
      [54, "[00] 2026-11-23 23:10:04 Acquired locks for BACKUP STAGE START"],
      [86, "[00] 2026-11-23 23:10:04 Started BACKUP STAGE BLOCK_DDL"],
      [86, "[00] 2026-11-23 23:10:04 Acquired locks for BACKUP STAGE BLOCK_DDL"],
      [99, "[01] 2026-11-23 23:10:04 Streaming ./shop/orders.ibd to <STDOUT>"],
      [1050, "[00] 2026-11-23 23:10:05 Finished BACKUP STAGE BLOCK_DDL"],
      [1050, "[00] 2026-11-23 23:10:05 Starting BACKUP STAGE BLOCK_COMMIT"],
      [1050, "[00] 2026-11-23 23:10:05 Acquired locks for BACKUP STAGE BLOCK_COMMIT"],
      [1052, "mariabackup: Stopping log copying thread."],
      [1258, "[00] 2026-11-23 23:10:05 Executing BACKUP STAGE END"],
      [1259, "[00] 2026-11-23 23:10:05 All tables unlocked"],
      [1259, "[00] 2026-11-23 23:10:05 MySQL binlog position: filename 'binlog.000001', position '833', GTID of the last change '0-43181-3'"],
      [1260, "[00] 2026-11-23 23:10:05 completed OK!"],
    ]);
    expect(log.method).toBe("backup-stage");
    expect(log.lockMs).toBe(209);
    expect(log.ddlBlockedMs).toBe(1173);
    expect(log.coordinates).toEqual({ file: "binlog.000001", position: 833, gtid: "0-43181-3" });
    expect(log.lastFile).toBe("./shop/orders.ibd");
    expect(log.errors).toEqual([]);
  });

  it("xtrabackup 8.0 style (FLUSH TABLES WITH READ LOCK ... UNLOCK TABLES; format from its documentation, not captured here)", () => {
    const log = replay([
      [10, "2026-11-23T10:00:00.100000-00:00 0 [Note] [MY-011825] [Xtrabackup] Executing FLUSH NO_WRITE_TO_BINLOG TABLES..."],
      [12, "2026-11-23T10:00:00.120000-00:00 0 [Note] [MY-011825] [Xtrabackup] Executing FLUSH TABLES WITH READ LOCK..."],
      [300, "2026-11-23T10:00:00.400000-00:00 0 [Note] [MY-011825] [Xtrabackup] Executing UNLOCK TABLES"],
      [301, "2026-11-23T10:00:00.401000-00:00 0 [Note] [MY-011825] [Xtrabackup] All tables unlocked"],
      [400, "2026-11-23T10:00:00.500000-00:00 0 [Note] [MY-011825] [Xtrabackup] MySQL binlog position: filename 'binlog.000002', position '157', GTID of the last change '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5'"],
    ]);
    expect(log.method).toBe("ftwrl");
    expect(log.lockMs).toBe(289);
    expect(log.coordinates).toEqual({ file: "binlog.000002", position: 157, gtid: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5" });
  });

  it("no lock seen: lock time unknown rather than invented", () => {
    const log = replay([[1, "[00] completed OK!"]]);
    expect(log.lockMs).toBeNull();
    expect(log.method).toBeNull();
  });

  it("a line split across chunks is read whole", () => {
    let now = 0;
    const log = new ToolLog(undefined, () => now);
    log.push("[00] Starting BACKUP STAGE BLO");
    now = 5;
    log.push("CK_COMMIT\n[00] All tables ");
    now = 25;
    log.push("unlocked\n");
    expect(log.lockMs).toBe(20);
  });

  it("xtrabackup_info from --extra-lsndir (as written by mariadb-backup 10.11 here)", () => {
    const info = parseInfoFile(
      "uuid = 641f1df9-e78f-11f1-9b54-02fc00000001\nname = \ntool_name = mariadb-backup\ntool_version = 10.11.19-MariaDB\nlock_time = 1795473845\nbinlog_pos = filename 'binlog.000001', position '833', GTID of the last change '0-37885-3'\ninnodb_to_lsn = 44420\n",
    );
    expect(info.tool_version).toBe("10.11.19-MariaDB");
    expect(coordinatesFromInfo(info)).toEqual({ file: "binlog.000001", position: 833, gtid: "0-37885-3" });
    expect(coordinatesFromInfo(parseInfoFile("tool_name = mariadb-backup\n"))).toBeNull();
  });
});
