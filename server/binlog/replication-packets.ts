// Payloads of the replication commands a replica sends (the 4-byte packet header is added by
// mysql2 when the packet is written).

const COM_REGISTER_SLAVE = 0x15;
const COM_BINLOG_DUMP = 0x12;
const COM_BINLOG_DUMP_GTID = 0x1e;

/** COM_BINLOG_DUMP flags. */
export const DumpFlag = {
  /** Answer EOF at the end of the binlog instead of waiting for new events. */
  NON_BLOCK: 0x01,
  /** MariaDB: send ANNOTATE_ROWS events (without it a capable replica gets holes where they were). */
  SEND_ANNOTATE_ROWS: 0x02,
  /** MySQL COM_BINLOG_DUMP_GTID: a GTID set follows. */
  THROUGH_GTID: 0x04,
} as const;

function lenPrefixed1(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  if (b.length > 255) throw new RangeError(`replica registration field too long: ${s}`);
  return Buffer.concat([Buffer.from([b.length]), b]);
}

export function registerReplicaPayload(o: { serverId: number; hostname?: string; user?: string; password?: string; port?: number }): Buffer {
  const head = Buffer.alloc(5);
  head[0] = COM_REGISTER_SLAVE;
  head.writeUInt32LE(o.serverId >>> 0, 1);
  const tail = Buffer.alloc(10);
  tail.writeUInt16LE(o.port ?? 0, 0);
  tail.writeUInt32LE(0, 2); // replication rank, unused
  tail.writeUInt32LE(0, 6); // master id, filled in by the server
  return Buffer.concat([head, lenPrefixed1(o.hostname ?? ""), lenPrefixed1(o.user ?? ""), lenPrefixed1(o.password ?? ""), tail]);
}

export function binlogDumpPayload(o: { serverId: number; file: string; position: number; flags: number }): Buffer {
  const head = Buffer.alloc(11);
  head[0] = COM_BINLOG_DUMP;
  head.writeUInt32LE(o.position >>> 0, 1);
  head.writeUInt16LE(o.flags, 5);
  head.writeUInt32LE(o.serverId >>> 0, 7);
  return Buffer.concat([head, Buffer.from(o.file, "utf8")]);
}

/** MySQL 5.6+: dump from the first transaction not in `gtidSet` (encoded as in PREVIOUS_GTIDS). */
export function binlogDumpGtidPayload(o: { serverId: number; flags: number; encodedGtidSet: Buffer }): Buffer {
  const b = Buffer.alloc(1 + 2 + 4 + 4 + 8 + 4);
  let off = 0;
  b[off++] = COM_BINLOG_DUMP_GTID;
  b.writeUInt16LE(o.flags | DumpFlag.THROUGH_GTID, off);
  off += 2;
  b.writeUInt32LE(o.serverId >>> 0, off);
  off += 4;
  b.writeUInt32LE(0, off); // no file name: the server finds the first file it needs
  off += 4;
  b.writeBigUInt64LE(4n, off);
  off += 8;
  b.writeUInt32LE(o.encodedGtidSet.length, off);
  return Buffer.concat([b, o.encodedGtidSet]);
}
