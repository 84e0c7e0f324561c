import type { Readable } from "node:stream";
import type { ServerAddress } from "../../mysql/connection-options";
import type { PitrTarget } from "../plan";
import type { BinlogPos } from "../positions";

/**
 * One binlog file to replay, opened when replay reaches it (so a long list of archived files is
 * not downloaded all at once). The stream holds the file from its magic header, or from a later
 * event when the archive starts mid-file (the archiver began there): replay then needs
 * `formatDescription`, the FORMAT_DESCRIPTION event of another file of the same server, to send
 * row events.
 */
export type ReplaySource = {
  /** binlog file name as the server names it (binlog.000042) */
  file: string;
  /** raw bytes of the file, when known (progress) */
  size?: number;
  open(): Promise<Readable> | Readable;
  formatDescription?: () => Promise<Buffer>;
};

export type ReplayOptions = {
  target: ServerAddress;
  /** binlog files in order; the first one is `from.file` */
  sources: ReplaySource[];
  /** the base backup's coordinates: the first event replayed is the one at this position */
  from: BinlogPos;
  /** where to stop (omitted: every complete transaction of the sources) */
  until?: PitrTarget;
  /** transactions (by GTID) not applied, replay going on past them: undoing one incident */
  skipGtids?: string[];
  /** source databases to apply; statements and rows of other databases are skipped (default: all) */
  databases?: string[];
  /** with `databases`: databases created by the binlogs (CREATE DATABASE after the base backup) are restored too */
  followCreatedDatabases?: boolean;
  /** source database -> database on the target */
  rename?: Record<string, string>;
  /** databases that exist on the source (the backup's), used with the target's own to tell `db.table` from `alias.column` */
  knownDatabases?: string[];
  /** the GTID state of the base backup (MariaDB position or MySQL set), to report the final state */
  fromGtid?: string | null;
  flavor?: "mariadb" | "mysql";
  /** write the replayed transactions to the target's binlog (default: not, when the account may; see ReplayConnection) */
  writeBinlog?: boolean;
  /** raw bytes expected (progress bar total) */
  bytesTotal?: number;
  /** most SQL bytes sent in one round trip (default 4 MiB, capped by the target's max_allowed_packet) */
  batchBytes?: number;
  /** a transaction whose statements grow past this is streamed into an open transaction, decided at its end (default 64 MiB) */
  streamThreshold?: number;
  /** progress phase name (default "replaying binlogs") */
  phase?: string;
};

/** What a replay did, for the run result and the DBA. */
export type ReplayResult = {
  /** transactions (and standalone statements) committed on the target */
  transactions: number;
  /** transactions whose every statement and row belonged to databases not restored */
  skippedTransactions: number;
  statements: number;
  events: number;
  /** raw binlog bytes read (from `from` on) */
  bytes: number;
  roundTrips: number;
  /** "target": stopped before the first transaction past the target; "end": the sources ran out */
  stoppedBy: "target" | "end";
  /** where the target is now: after the last applied transaction */
  position: BinlogPos;
  lastGtid: string | null;
  /** GTID state after the last applied transaction, when the base's was given */
  gtidState: string | null;
  /** commit time of the last applied transaction */
  lastCommitAt: string | null;
  /** a transaction cut off by the end of the binlogs (not applied) */
  incompleteTail: { file: string; position: number } | null;
  binlogDisabled: boolean;
  ms: number;
  mbPerSecond: number;
};
