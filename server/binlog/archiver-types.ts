import type { ServerAddress } from "../mysql/connection-options";
import type { ObjectStore } from "../storage/object-store";

/** Where a fresh archive starts (a resumed one continues from its checkpoint). */
export type ArchiveStart = { file: string; position: number } | { gtid: string } | "oldest" | "current";

/** A durable resume point: every event before it is fsynced in the archive's working directory. */
export type Checkpoint = {
  file: string;
  position: number;
  /** GTID state after the last event before `position` (MariaDB position or MySQL set); null when unknown */
  gtid: string | null;
  /** timestamp of the newest durable event */
  lastEventAt: Date | null;
  savedAt: Date;
};

/** Why a segment ended. */
export type SegmentEnd =
  /** the server rotated: the segment ends with the ROTATE event */
  | "rotate"
  /** the server shut down: the segment ends with the STOP event */
  | "stop-event"
  /** rotateSize reached; the file continues in the next segment */
  | "size"
  /** the archiver stopped cleanly; the file continues in a later segment */
  | "shutdown"
  /** the server continued in another file without closing this one (it crashed) */
  | "file-change"
  /** the server skipped events (a GTID start skips transactions already applied) */
  | "gap";

/** One shipped piece of a binlog file: what the catalog indexes. */
export type SegmentMeta = {
  flavor: "mariadb" | "mysql";
  /** binlog file name as the server names it */
  file: string;
  /** binlog position of the first event in the segment (4 = the file's first event) */
  startPosition: number;
  /** position after the last event (where the next segment of this file starts) */
  endPosition: number;
  /**
   * Offset in the binlog file of the segment's first byte: 0 when startPosition is 4 (the segment
   * then begins with the file's magic header and is a readable binlog file by itself), else startPosition.
   * Concatenating a file's segments in order of startPosition gives the server's file.
   */
  byteOffset: number;
  firstEventAt: Date | null;
  lastEventAt: Date | null;
  /** first GTID begun in the segment and last GTID committed in it */
  gtidFirst: string | null;
  gtidLast: string | null;
  /** GTID state at the end of the segment (MariaDB gtid position / MySQL executed set) */
  gtidStateEnd: string | null;
  serverIds: number[];
  eventCount: number;
  /** raw bytes (what the server wrote) */
  size: number;
  sha256: string;
  /** bytes in the store (compressed or not) and their sha256 */
  storedSize: number;
  storedSha256: string;
  compressed: boolean;
  compression: "zstd" | "none";
  /** object key in the store (relative to the store root); for an archive without a store, the file name in `dir` */
  key: string;
  endedBy: SegmentEnd;
  /** the server closed the file and this segment holds its end */
  fileComplete: boolean;
  createdAt: Date;
};

export type ArchiverState = "connecting" | "streaming" | "reconnecting" | "stopping";

export type ArchiverStatus = {
  state: ArchiverState;
  /** durable position */
  file: string | null;
  position: number | null;
  gtid: string | null;
  lastEventAt: Date | null;
  /** seconds between the server's newest event and the newest durable one; 0 when caught up; null before anything is known */
  lagSeconds: number | null;
  /** the server's newest position as last seen (SHOW MASTER STATUS or heartbeat) */
  serverFile: string | null;
  serverPosition: number | null;
  /** raw bytes archived by this run */
  bytes: number;
  events: number;
  /** closed segments not yet shipped */
  pendingSegments: number;
  reconnects: number;
  lastError: string | null;
};

export type ArchiverOptions = {
  server: ServerAddress;
  /** replica server id; must differ from every server and replica in the topology (default 99999) */
  serverId?: number;
  /** local working directory: the open segment, closed ones awaiting shipping, the state file */
  dir: string;
  store?: ObjectStore;
  /** key prefix in the store, e.g. "binlog/db1/" */
  storePrefix?: string;
  /** zstd-compress shipped segments */
  compress?: boolean;
  /** close and ship the current segment after this many bytes even if the server has not rotated */
  rotateSize?: number;
  start?: ArchiveStart;
  /** the server sends a heartbeat after this many idle seconds (default 5) */
  heartbeatSeconds?: number;
  /** most time between fsync+checkpoint while events arrive (default 250 ms): bounds the lag under load */
  checkpointIntervalMs?: number;
  onSegment?: (m: SegmentMeta) => Promise<void>;
  onStatus?: (s: ArchiverStatus) => void;
  onCheckpoint?: (c: Checkpoint) => Promise<void>;
};
