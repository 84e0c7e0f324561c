/** Binlog event type codes (MySQL and MariaDB share 0-35; MariaDB adds 160+). */
export const EventType = {
  UNKNOWN: 0,
  START_V3: 1,
  QUERY: 2,
  STOP: 3,
  ROTATE: 4,
  INTVAR: 5,
  RAND: 13,
  USER_VAR: 14,
  FORMAT_DESCRIPTION: 15,
  XID: 16,
  BEGIN_LOAD_QUERY: 17,
  EXECUTE_LOAD_QUERY: 18,
  TABLE_MAP: 19,
  WRITE_ROWS_V1: 23,
  UPDATE_ROWS_V1: 24,
  DELETE_ROWS_V1: 25,
  INCIDENT: 26,
  HEARTBEAT: 27,
  IGNORABLE: 28,
  ROWS_QUERY: 29,
  WRITE_ROWS_V2: 30,
  UPDATE_ROWS_V2: 31,
  DELETE_ROWS_V2: 32,
  MYSQL_GTID: 33,
  MYSQL_ANONYMOUS_GTID: 34,
  MYSQL_PREVIOUS_GTIDS: 35,
  TRANSACTION_CONTEXT: 36,
  VIEW_CHANGE: 37,
  XA_PREPARE: 38,
  PARTIAL_UPDATE_ROWS: 39,
  TRANSACTION_PAYLOAD: 40,
  HEARTBEAT_V2: 41,
  ANNOTATE_ROWS: 160,
  BINLOG_CHECKPOINT: 161,
  MARIADB_GTID: 162,
  GTID_LIST: 163,
  START_ENCRYPTION: 164,
  QUERY_COMPRESSED: 165,
  WRITE_ROWS_COMPRESSED_V1: 166,
  UPDATE_ROWS_COMPRESSED_V1: 167,
  DELETE_ROWS_COMPRESSED_V1: 168,
  WRITE_ROWS_COMPRESSED: 169,
  UPDATE_ROWS_COMPRESSED: 170,
  DELETE_ROWS_COMPRESSED: 171,
} as const;

const NAMES = new Map<number, string>(Object.entries(EventType).map(([k, v]) => [v, k]));

export function eventTypeName(type: number): string {
  return NAMES.get(type) ?? `TYPE_${type}`;
}

/** Header flags (common header, bytes 17-18). */
export const EventFlag = {
  /** Set in a file's FORMAT_DESCRIPTION while the server has the file open; cleared when it closes it. */
  BINLOG_IN_USE: 0x0001,
  THREAD_SPECIFIC: 0x0004,
  SUPPRESS_USE: 0x0008,
  /** Made up by the dump thread (the rotate at dump start); never part of a binlog file. */
  ARTIFICIAL: 0x0020,
  RELAY_LOG: 0x0040,
  SKIP_REPLICATION: 0x8000,
} as const;

/** Rows-event flags (post-header). */
export const RowsFlag = {
  STMT_END: 0x0001,
  NO_FOREIGN_KEY_CHECKS: 0x0002,
  RELAXED_UNIQUE_CHECKS: 0x0004,
  COMPLETE_ROWS: 0x0008,
} as const;

/** MariaDB GTID event flags2. */
export const MariaGtidFlag = {
  STANDALONE: 0x01,
  GROUP_COMMIT_ID: 0x02,
  TRANSACTIONAL: 0x04,
  ALLOW_PARALLEL: 0x08,
  WAITED: 0x10,
  DDL: 0x20,
  PREPARED_XA: 0x40,
  COMPLETED_XA: 0x80,
} as const;

export const ROWS_EVENT_TYPES: ReadonlySet<number> = new Set([
  EventType.WRITE_ROWS_V1,
  EventType.UPDATE_ROWS_V1,
  EventType.DELETE_ROWS_V1,
  EventType.WRITE_ROWS_V2,
  EventType.UPDATE_ROWS_V2,
  EventType.DELETE_ROWS_V2,
  EventType.PARTIAL_UPDATE_ROWS,
  EventType.WRITE_ROWS_COMPRESSED_V1,
  EventType.UPDATE_ROWS_COMPRESSED_V1,
  EventType.DELETE_ROWS_COMPRESSED_V1,
  EventType.WRITE_ROWS_COMPRESSED,
  EventType.UPDATE_ROWS_COMPRESSED,
  EventType.DELETE_ROWS_COMPRESSED,
]);

/** The 4 bytes every binlog file starts with. */
export const BINLOG_MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
export const HEADER_LENGTH = 19;
/** Offset of the flags field inside the common header. */
export const FLAGS_OFFSET = 17;
export const CHECKSUM_LENGTH = 4;
