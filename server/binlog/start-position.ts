import type mysql from "mysql2/promise";
import { DomainError } from "../errors";
import { describeAddress, type ServerAddress } from "../mysql/connection-options";
import type { ArchiveStart } from "./archiver-types";
import { parseMariaGtidPos } from "./gtid-mariadb";
import { MysqlGtidSet } from "./gtid-mysql";
import { purgedBinlogError } from "./replication-errors";
import { compareBinlogFiles } from "./segment-naming";
import { binlogFiles, currentBinlogPosition } from "./server-status";

export type ResolvedStart = {
  next: { file: string; position: number } | null;
  startGtid: string | null;
  /** GTID state at the start, when the server can tell */
  gtidSeed: string | null;
};

/** Turns the requested start into concrete coordinates, checking the server still has them. */
export async function resolveStart(c: mysql.Connection, a: ServerAddress, flavor: "mariadb" | "mysql", start: ArchiveStart): Promise<ResolvedStart> {
  const where = describeAddress(a);
  const [lb] = await c.query("SELECT @@log_bin AS on_");
  if (Number((lb as { on_: unknown }[])[0]?.on_) !== 1)
    throw new DomainError("PRECONDITION", `Binary logging is off on ${where}, so there is nothing to archive. Start the server with log_bin (e.g. log-bin=binlog, binlog_format=ROW, server_id=<unique>) and restart it.`);

  if (typeof start === "object" && "gtid" in start) {
    if (flavor === "mariadb") parseMariaGtidPos(start.gtid);
    else MysqlGtidSet.parse(start.gtid);
    return { next: null, startGtid: start.gtid, gtidSeed: start.gtid };
  }

  let next: { file: string; position: number };
  if (start === "current") {
    const cur = await currentBinlogPosition(c);
    if (!cur) throw new DomainError("PRECONDITION", `${where} reports no current binlog (SHOW MASTER STATUS is empty): is log_bin on and does the account have BINLOG MONITOR / REPLICATION CLIENT?`);
    next = cur;
  } else {
    const files = await binlogFiles(c);
    if (files.length === 0) throw new DomainError("PRECONDITION", `${where} lists no binlog files (SHOW BINARY LOGS is empty).`);
    if (start === "oldest") next = { file: files[0]!.file, position: 4 };
    else {
      if (start.position < 4) throw new DomainError("INVALID", `Binlog position ${start.position} is before the first event (positions start at 4).`, { field: "start" });
      const f = files.find((x) => x.file === start.file);
      if (!f) {
        const first = files[0]!.file;
        if (compareBinlogFiles(start.file, first) < 0) throw purgedBinlogError(where, `${start.file}:${start.position}`, `the oldest binlog on the server is ${first}`);
        throw new DomainError("INVALID", `${where} has no binlog named ${start.file} (it has ${first} to ${files[files.length - 1]!.file}).`, { field: "start" });
      }
      if (start.position > f.size) throw new DomainError("INVALID", `Position ${start.position} is past the end of ${start.file} (${f.size} bytes) on ${where}.`, { field: "start" });
      next = { file: start.file, position: start.position };
    }
  }
  let gtidSeed: string | null = null;
  if (flavor === "mariadb") {
    try {
      const [rows] = await c.query("SELECT BINLOG_GTID_POS(?, ?) AS p", [next.file, next.position]);
      const p = (rows as { p: string | null }[])[0]?.p;
      if (typeof p === "string") gtidSeed = p;
    } catch {
      // position not at an event boundary or no GTIDs: the state is learnt from GTID_LIST events
    }
  }
  return { next, startGtid: null, gtidSeed };
}
