import { ByteReader } from "./byte-reader";

/** Session state the server logged with a statement; replay must set the same before running it. */
export type QueryStatusVars = {
  flags2?: number;
  sqlMode?: bigint;
  catalog?: string;
  autoIncrement?: { increment: number; offset: number };
  charset?: { client: number; connectionCollation: number; serverCollation: number };
  timeZone?: string;
  lcTimeNames?: number;
  charsetDatabase?: number;
  tableMapForUpdate?: bigint;
  invoker?: { user: string; host: string };
  updatedDatabases?: string[];
  microseconds?: number;
  explicitDefaultsForTimestamp?: boolean;
  ddlXid?: bigint;
  defaultCollationForUtf8mb4?: number;
  sqlRequirePrimaryKey?: number;
  defaultTableEncryption?: number;
  /** MariaDB: high-resolution statement time (microseconds part) */
  hrnowMicroseconds?: number;
  /** MariaDB: XID of a DDL logged as a transaction */
  xid?: bigint;
  /** MariaDB */
  gtidFlags3?: number;
  /** a code this decoder does not know: decoding stopped there (its length is unknowable) */
  unknownCode?: number;
};

export type QueryDetails = {
  threadId: number;
  executionTime: number;
  errorCode: number;
  database: string;
  sql: string;
  statusVars: QueryStatusVars;
};

// Status variable codes (MySQL log_event.h; MariaDB adds 128+).
const Q = {
  FLAGS2: 0,
  SQL_MODE: 1,
  CATALOG: 2,
  AUTO_INCREMENT: 3,
  CHARSET: 4,
  TIME_ZONE: 5,
  CATALOG_NZ: 6,
  LC_TIME_NAMES: 7,
  CHARSET_DATABASE: 8,
  TABLE_MAP_FOR_UPDATE: 9,
  MASTER_DATA_WRITTEN: 10,
  INVOKER: 11,
  UPDATED_DB_NAMES: 12,
  MICROSECONDS: 13,
  COMMIT_TS: 14,
  COMMIT_TS2: 15,
  EXPLICIT_DEFAULTS_FOR_TIMESTAMP: 16,
  DDL_LOGGED_WITH_XID: 17,
  DEFAULT_COLLATION_FOR_UTF8MB4: 18,
  SQL_REQUIRE_PRIMARY_KEY: 19,
  DEFAULT_TABLE_ENCRYPTION: 20,
  HRNOW: 128,
  XID: 129,
  GTID_FLAGS3: 130,
} as const;

/** Updated-db count meaning "too many databases to list". */
const OVER_MAX_DBS = 254;

export function decodeQueryStatusVars(buf: Buffer): QueryStatusVars {
  const r = new ByteReader(buf);
  const v: QueryStatusVars = {};
  while (r.remaining > 0) {
    const code = r.u8();
    switch (code) {
      case Q.FLAGS2:
        v.flags2 = r.u32();
        break;
      case Q.SQL_MODE:
        v.sqlMode = r.u64();
        break;
      case Q.CATALOG: {
        const n = r.u8();
        v.catalog = r.str(n);
        r.skip(1);
        break;
      }
      case Q.AUTO_INCREMENT:
        v.autoIncrement = { increment: r.u16(), offset: r.u16() };
        break;
      case Q.CHARSET:
        v.charset = { client: r.u16(), connectionCollation: r.u16(), serverCollation: r.u16() };
        break;
      case Q.TIME_ZONE:
        v.timeZone = r.str(r.u8());
        break;
      case Q.CATALOG_NZ:
        v.catalog = r.str(r.u8());
        break;
      case Q.LC_TIME_NAMES:
        v.lcTimeNames = r.u16();
        break;
      case Q.CHARSET_DATABASE:
        v.charsetDatabase = r.u16();
        break;
      case Q.TABLE_MAP_FOR_UPDATE:
        v.tableMapForUpdate = r.u64();
        break;
      case Q.MASTER_DATA_WRITTEN:
        r.skip(4);
        break;
      case Q.INVOKER: {
        const user = r.str(r.u8());
        const host = r.str(r.u8());
        v.invoker = { user, host };
        break;
      }
      case Q.UPDATED_DB_NAMES: {
        const n = r.u8();
        v.updatedDatabases = [];
        if (n !== OVER_MAX_DBS) for (let i = 0; i < n; i++) v.updatedDatabases.push(r.cstr());
        break;
      }
      case Q.MICROSECONDS:
        v.microseconds = r.u24();
        break;
      case Q.COMMIT_TS:
      case Q.COMMIT_TS2:
        // never written by released servers; their length is not defined
        v.unknownCode = code;
        return v;
      case Q.EXPLICIT_DEFAULTS_FOR_TIMESTAMP:
        v.explicitDefaultsForTimestamp = r.u8() !== 0;
        break;
      case Q.DDL_LOGGED_WITH_XID:
        v.ddlXid = r.u64();
        break;
      case Q.DEFAULT_COLLATION_FOR_UTF8MB4:
        v.defaultCollationForUtf8mb4 = r.u16();
        break;
      case Q.SQL_REQUIRE_PRIMARY_KEY:
        v.sqlRequirePrimaryKey = r.u8();
        break;
      case Q.DEFAULT_TABLE_ENCRYPTION:
        v.defaultTableEncryption = r.u8();
        break;
      case Q.HRNOW:
        v.hrnowMicroseconds = r.u24();
        break;
      case Q.XID:
        v.xid = r.u64();
        break;
      case Q.GTID_FLAGS3:
        v.gtidFlags3 = r.u8();
        break;
      default:
        v.unknownCode = code;
        return v;
    }
  }
  return v;
}

/** QUERY event (body = after the common header, checksum excluded). */
export function decodeQuery(body: ByteReader, postHeaderLen: number): QueryDetails {
  const start = body.pos;
  const threadId = body.u32();
  const executionTime = body.u32();
  const dbLen = body.u8();
  const errorCode = body.u16();
  const statusLen = postHeaderLen >= 13 ? body.u16() : 0;
  body.pos = start + postHeaderLen;
  const statusVars = decodeQueryStatusVars(body.bytes(statusLen));
  const database = body.str(dbLen);
  body.skip(1);
  const sql = body.rest().toString("utf8");
  return { threadId, executionTime, errorCode, database, sql, statusVars };
}
