import { ByteReader } from "./byte-reader";
import { checksumAlgFromByte, type ChecksumAlg } from "./checksum";
import { HEADER_LENGTH } from "./event-types";

export type FormatDescription = {
  binlogVersion: number;
  serverVersion: string;
  flavor: "mariadb" | "mysql";
  createdAt: number;
  headerLength: number;
  /** post-header length per event type (index = type - 1) */
  postHeaderLengths: Buffer;
  /** how every later event of this file ends */
  checksum: ChecksumAlg;
};

function versionTriple(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

/** Servers from MySQL 5.6.1 and MariaDB 5.3 write a checksum-algorithm byte at the end of the FDE. */
function hasChecksumAlgByte(version: string): boolean {
  const [a, b, c] = versionTriple(version);
  if (/mariadb/i.test(version)) return a > 5 || (a === 5 && b >= 3);
  return a > 5 || (a === 5 && (b > 6 || (b === 6 && c >= 1)));
}

/** Decodes a FORMAT_DESCRIPTION event (raw = the whole event, header included). */
export function decodeFormatDescription(raw: Buffer): FormatDescription {
  const r = new ByteReader(raw, HEADER_LENGTH);
  const binlogVersion = r.u16();
  const serverVersion = r.str(50, "latin1").replace(/\0.*$/s, "");
  const createdAt = r.u32();
  const headerLength = r.u8();
  const withAlg = hasChecksumAlgByte(serverVersion);
  const tail = withAlg ? 5 : 0; // algorithm byte + CRC32 (the CRC is present only when alg is CRC32, but the space always is)
  const postHeaderLengths = Buffer.from(r.bytes(raw.length - r.pos - tail));
  const checksum = withAlg ? checksumAlgFromByte(raw[raw.length - 5]!) : "none";
  return {
    binlogVersion,
    serverVersion,
    flavor: /mariadb/i.test(serverVersion) ? "mariadb" : "mysql",
    createdAt,
    headerLength,
    postHeaderLengths,
    checksum,
  };
}

export function postHeaderLength(fde: FormatDescription | null, type: number, fallback: number): number {
  const v = fde?.postHeaderLengths[type - 1];
  return v === undefined ? fallback : v;
}
