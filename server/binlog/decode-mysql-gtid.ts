import type { ByteReader } from "./byte-reader";
import { MysqlGtidSet, formatMysqlGtid } from "./gtid-mysql";

export type MysqlGtidDetails = {
  anonymous: boolean;
  flags: number;
  uuid: string;
  gno: bigint;
  /** "uuid:gno" */
  gtid: string;
  lastCommitted?: bigint;
  sequenceNumber?: bigint;
  /** microseconds since the epoch, when this server committed */
  immediateCommitTimestamp?: bigint;
  /** microseconds since the epoch, when the original source committed */
  originalCommitTimestamp?: bigint;
  transactionLength?: number;
};

const LOGICAL_TIMESTAMP_TYPECODE = 2;
const COMMIT_TS_ORIGINAL_FLAG = 1n << 55n;

function u56(r: ByteReader): bigint {
  const lo = BigInt(r.u32());
  const hi = BigInt(r.u24());
  return lo | (hi << 32n);
}

/** MySQL GTID_LOG_EVENT (33) and ANONYMOUS_GTID_LOG_EVENT (34), layout of MySQL 5.7/8.0. */
export function decodeMysqlGtid(r: ByteReader, anonymous: boolean): MysqlGtidDetails {
  const flags = r.u8();
  const uuidHex = r.bytes(16).toString("hex");
  const gno = r.u64();
  const uuid = `${uuidHex.slice(0, 8)}-${uuidHex.slice(8, 12)}-${uuidHex.slice(12, 16)}-${uuidHex.slice(16, 20)}-${uuidHex.slice(20)}`;
  const d: MysqlGtidDetails = { anonymous, flags, uuid, gno, gtid: formatMysqlGtid(uuid, gno) };
  if (r.remaining >= 17 && r.buf[r.pos] === LOGICAL_TIMESTAMP_TYPECODE) {
    r.skip(1);
    d.lastCommitted = r.u64();
    d.sequenceNumber = r.u64();
  }
  if (r.remaining >= 7) {
    let immediate = u56(r);
    if (immediate & COMMIT_TS_ORIGINAL_FLAG) {
      immediate &= ~COMMIT_TS_ORIGINAL_FLAG;
      if (r.remaining >= 7) d.originalCommitTimestamp = u56(r);
    } else d.originalCommitTimestamp = immediate;
    d.immediateCommitTimestamp = immediate;
    if (r.remaining >= 1) d.transactionLength = r.lenenc();
  }
  return d;
}

/** PREVIOUS_GTIDS_LOG_EVENT (35): the GTID set executed before this file. */
export function decodePreviousGtids(r: ByteReader): { gtidSet: MysqlGtidSet; text: string } {
  const gtidSet = MysqlGtidSet.decode(r.rest());
  return { gtidSet, text: gtidSet.toString() };
}
