import type { ByteReader } from "./byte-reader";
import { MariaGtidFlag } from "./event-types";
import type { MariaGtid } from "./gtid-mariadb";

export type MariaGtidDetails = MariaGtid & {
  flags: number;
  /** a statement that commits by itself (DDL, non-transactional): no XID/COMMIT follows */
  standalone: boolean;
  transactional: boolean;
  ddl: boolean;
  commitId?: bigint;
  /** XA PREPARE / XA COMMIT group */
  xa?: "prepared" | "completed";
};

export type GtidListDetails = { flags: number; gtids: MariaGtid[] };

export function decodeMariaGtid(r: ByteReader, serverId: number): MariaGtidDetails {
  const seq = r.u64();
  const domain = r.u32();
  const flags = r.u8();
  const d: MariaGtidDetails = {
    domain,
    server: serverId,
    seq,
    flags,
    standalone: (flags & MariaGtidFlag.STANDALONE) !== 0,
    transactional: (flags & MariaGtidFlag.TRANSACTIONAL) !== 0,
    ddl: (flags & MariaGtidFlag.DDL) !== 0,
  };
  if (flags & MariaGtidFlag.GROUP_COMMIT_ID && r.remaining >= 8) d.commitId = r.u64();
  if (flags & MariaGtidFlag.PREPARED_XA) d.xa = "prepared";
  else if (flags & MariaGtidFlag.COMPLETED_XA) d.xa = "completed";
  return d;
}

export function decodeGtidList(r: ByteReader): GtidListDetails {
  const word = r.u32();
  const count = word & 0x0fffffff;
  const gtids: MariaGtid[] = [];
  for (let i = 0; i < count; i++) {
    const domain = r.u32();
    const server = r.u32();
    const seq = r.u64();
    gtids.push({ domain, server, seq });
  }
  return { flags: word >>> 28, gtids };
}

export function decodeBinlogCheckpoint(r: ByteReader): { file: string } {
  const n = r.u32();
  return { file: r.str(n) };
}

export function decodeAnnotateRows(r: ByteReader): { sql: string } {
  return { sql: r.rest().toString("utf8") };
}
