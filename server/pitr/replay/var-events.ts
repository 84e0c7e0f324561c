import { ByteReader } from "../../binlog/byte-reader";
import { CHECKSUM_LENGTH, EventType, HEADER_LENGTH } from "../../binlog/event-types";
import type { ChecksumAlg } from "../../binlog/checksum";
import type { Collation } from "./apply-connection";

// Statement-based binlogs log the context a statement's non-deterministic parts need right before
// it: the auto-increment value (INTVAR), RAND() seeds (RAND) and user variables (USER_VAR). Each
// becomes the SET that gives the replay session the same values.

const quoteIdent = (s: string) => "`" + s.replace(/`/g, "``") + "`";

function body(raw: Buffer, checksum: ChecksumAlg): ByteReader {
  return new ByteReader(raw, HEADER_LENGTH, raw.length - (checksum === "crc32" ? CHECKSUM_LENGTH : 0));
}

const RESULT = { STRING: 0, REAL: 1, INT: 2, ROW: 3, DECIMAL: 4 } as const;
const UNSIGNED_FLAG = 0x01;

/** The SET statement for an INTVAR, RAND or USER_VAR event; throws RangeError for what it cannot express. */
export function varEventSql(type: number, raw: Buffer, checksum: ChecksumAlg, collations: Map<number, Collation>): string {
  const r = body(raw, checksum);
  if (type === EventType.INTVAR) {
    const kind = r.u8();
    const value = r.u64();
    if (kind === 1) return `SET LAST_INSERT_ID=${value}`;
    if (kind === 2) return `SET INSERT_ID=${value}`;
    throw new RangeError(`INTVAR event of unknown kind ${kind}`);
  }
  if (type === EventType.RAND) {
    const a = r.u64();
    const b = r.u64();
    return `SET @@RAND_SEED1=${a}, @@RAND_SEED2=${b}`;
  }
  // USER_VAR
  const name = r.str(r.u32());
  const isNull = r.u8() !== 0;
  const lhs = `SET @${quoteIdent(name)}:=`;
  if (isNull) return `${lhs}NULL`;
  const vtype = r.u8();
  const collationId = r.u32();
  const value = r.bytes(r.u32());
  const flags = r.remaining > 0 ? r.u8() : 0;
  switch (vtype) {
    case RESULT.STRING: {
      const c = collations.get(collationId);
      if (!c) throw new RangeError(`user variable @${name} uses collation id ${collationId}, unknown to the target server`);
      return `${lhs}_${c.charset} X'${value.toString("hex")}' COLLATE ${quoteIdent(c.name)}`;
    }
    case RESULT.REAL: {
      const d = value.readDoubleLE(0);
      // exponent notation keeps it a DOUBLE (a plain 0.1 would be read as a DECIMAL)
      return `${lhs}${Number.isFinite(d) ? d.toExponential() : "NULL"}`;
    }
    case RESULT.INT: {
      const v = flags & UNSIGNED_FLAG ? value.readBigUInt64LE(0) : value.readBigInt64LE(0);
      return `${lhs}${v}`;
    }
    case RESULT.DECIMAL:
      return `${lhs}${decodeBinaryDecimal(value)}`;
    default:
      throw new RangeError(`user variable @${name} has a value of type ${vtype}, which replay cannot express`);
  }
}

const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/** A USER_VAR decimal: precision, scale, then MySQL's binary decimal (groups of 9 digits in 4 bytes, sign in the top bit, negatives inverted). */
export function decodeBinaryDecimal(v: Buffer): string {
  const precision = v[0]!;
  const scale = v[1]!;
  const intg = precision - scale;
  const bin = Buffer.from(v.subarray(2));
  const negative = (bin[0]! & 0x80) === 0;
  bin[0] = bin[0]! ^ 0x80;
  if (negative) for (let i = 0; i < bin.length; i++) bin[i] = ~bin[i]! & 0xff;
  let at = 0;
  const read = (n: number) => {
    const x = n === 0 ? 0 : bin.readUIntBE(at, n);
    at += n;
    return x;
  };
  let intPart = "";
  const lead = intg % 9;
  if (lead) intPart += String(read(DIG2BYTES[lead]!));
  for (let i = 0; i < Math.floor(intg / 9); i++) intPart += String(read(4)).padStart(9, "0");
  let frac = "";
  for (let i = 0; i < Math.floor(scale / 9); i++) frac += String(read(4)).padStart(9, "0");
  const tail = scale % 9;
  if (tail) frac += String(read(DIG2BYTES[tail]!)).padStart(tail, "0");
  intPart = intPart.replace(/^0+(?=\d)/, "") || "0";
  return `${negative ? "-" : ""}${intPart}${frac ? `.${frac}` : ""}`;
}
