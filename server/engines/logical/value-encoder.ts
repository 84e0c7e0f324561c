import type { Flavor } from "../../mysql/server-facts";
import type { ByteBuilder } from "./byte-builder";
import { quoteIdent } from "./sql-text";

/**
 * How a column's values travel. The dump reads every value as the server's raw text-protocol bytes
 * (character_set_results = binary, so strings arrive in their column's own character set, never
 * converted) and writes SQL literals the loader sends back under SET NAMES binary, so nothing is
 * converted on the way in either:
 *   num       integers, DECIMAL, YEAR: the server's digits, as they are
 *   double    DOUBLE: the server prints the shortest text that parses back to the same bits; "e0" is
 *             appended when missing so the literal is parsed as a double, never as a DECIMAL
 *   float     FLOAT: selected as `c + 0e0` (float -> double is exact; the server would print a FLOAT
 *             with 6 digits), written like a double, rounded back to the identical float on insert
 *   index     ENUM and SET: selected as `c + 0`, the member index / bit mask, written as a number. The
 *             text would be ambiguous: an ENUM's invalid-value '' (index 0) reads like a member ''
 *   bit       BIT(n): 0x<hex> of the raw big-endian bytes
 *   str       CHAR/VARCHAR/TEXT/BINARY/BLOB/JSON(MariaDB)/INET6/UUID: the raw bytes, quoted, with
 *             NUL \n \r ^Z ' \ escaped (see writeText)
 *   json8     MySQL 8 JSON: like str with a _utf8mb4 introducer (MySQL refuses binary strings in JSON)
 *   temporal  DATE/DATETIME/TIMESTAMP/TIME: the server's text, quoted (sessions are at +00:00)
 *   geom      spatial: X'<hex>' of the internal value (4-byte SRID + WKB), which the server accepts back
 */
export type ColumnKind = "num" | "index" | "double" | "float" | "bit" | "str" | "json8" | "temporal" | "geom";

export type DumpColumn = {
  name: string;
  dataType: string;
  columnType: string;
  kind: ColumnKind;
  charset: string | null;
  collation: string | null;
  nullable: boolean;
};

const NUM = new Set(["tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "year"]);
const INTEGER = new Set(["tinyint", "smallint", "mediumint", "int", "integer", "bigint"]);
const TEMPORAL = new Set(["date", "datetime", "timestamp", "time"]);
const GEOM = new Set(["geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection"]);

export function columnKind(dataType: string, flavor: Flavor): ColumnKind {
  const t = dataType.toLowerCase();
  if (NUM.has(t)) return "num";
  if (t === "enum" || t === "set") return "index";
  if (t === "double" || t === "double precision" || t === "real") return "double";
  if (t === "float") return "float";
  if (t === "bit") return "bit";
  if (TEMPORAL.has(t)) return "temporal";
  if (GEOM.has(t)) return "geom";
  if (t === "json" && flavor !== "mariadb") return "json8";
  return "str";
}

export function isIntegerType(dataType: string): boolean {
  return INTEGER.has(dataType.toLowerCase());
}

/** The select-list expression that reads a column for dumping and fingerprinting. */
export function selectExpr(c: DumpColumn): string {
  if (c.kind === "float") return `(${quoteIdent(c.name)} + 0e0)`;
  if (c.kind === "index") return `(${quoteIdent(c.name)} + 0)`;
  return quoteIdent(c.name);
}

const HEX = Buffer.from("0123456789ABCDEF");

/*
 * The writers below take a value as a byte range [s, e) of a buffer: either a value mysql2 sliced
 * out of a row, or (the fast path, see row-parser.ts) the range inside the row packet itself.
 */

/** Copies bytes; short ranges by hand (a native copy costs more than it saves below ~32 bytes). */
function copyRange(out: ByteBuilder, src: Buffer, s: number, e: number) {
  const n = e - s;
  out.ensure(n);
  const b = out.buf;
  let p = out.len;
  if (n < 48) for (let i = s; i < e; i++) b[p++] = src[i]!;
  else {
    src.copy(b, p, s, e);
    p += n;
  }
  out.len = p;
}

function hexInto(out: ByteBuilder, src: Buffer, s: number, e: number) {
  const n = e - s;
  out.ensure(2 * n);
  if (n > 64) {
    out.len += out.buf.write(src.toString("hex", s, e), out.len, "latin1");
    return;
  }
  const b = out.buf;
  let p = out.len;
  for (let i = s; i < e; i++) {
    const c = src[i]!;
    b[p++] = HEX[c >> 4]!;
    b[p++] = HEX[c & 15]!;
  }
  out.len = p;
}

/** X'..' */
function writeHexLiteral(out: ByteBuilder, src: Buffer, s: number, e: number) {
  out.ensure(3);
  out.buf[out.len++] = 0x58; // X
  out.buf[out.len++] = 0x27;
  hexInto(out, src, s, e);
  out.byte(0x27);
}

/** Bytes a quoted string must escape, and the letter after the backslash (0: as is). */
const ESC = new Uint8Array(256);
ESC[0x00] = 0x30; // \0: the stock client refuses a raw NUL
ESC[0x0a] = 0x6e; // \n
ESC[0x0d] = 0x72; // \r: the client would turn \r\n into \n
ESC[0x1a] = 0x5a; // \Z: end of file on Windows
ESC[0x27] = 0x27;
ESC[0x5c] = 0x5c;

/**
 * A quoted string of the value's raw bytes, escaping only what the server or the stock client would
 * misread. Read under character_set_client = binary (the loader's SET NAMES binary, the stock
 * client's "charset binary" command) every byte stays what it was, whatever the column's
 * character set: no conversion, and no multi-byte character can swallow a backslash or a quote.
 */
export function writeText(out: ByteBuilder, src: Buffer, s: number, e: number) {
  const n = e - s;
  out.ensure(2 * n + 2);
  const b = out.buf;
  let p = out.len;
  b[p++] = 0x27;
  let i = s;
  // the common case: nothing to escape, copy in one go
  while (i < e && ESC[src[i]!] === 0) i++;
  if (i === e) {
    if (n < 48) for (let j = s; j < e; j++) b[p++] = src[j]!;
    else {
      src.copy(b, p, s, e);
      p += n;
    }
  } else {
    if (i > s) {
      src.copy(b, p, s, i);
      p += i - s;
    }
    for (; i < e; i++) {
      const c = src[i]!;
      const x = ESC[c]!;
      if (x === 0) b[p++] = c;
      else {
        b[p++] = 0x5c;
        b[p++] = x;
      }
    }
  }
  b[p++] = 0x27;
  out.len = p;
}

const NULL = Buffer.from("NULL");
const INTRO_UTF8MB4 = Buffer.from("_utf8mb4 ");

function writeDouble(out: ByteBuilder, src: Buffer, s: number, e: number) {
  copyRange(out, src, s, e);
  // "e0" makes the literal a double; without it 0.1 would be read as DECIMAL and converted
  for (let i = s; i < e; i++) if (src[i] === 0x65 || src[i] === 0x45) return;
  out.ensure(2);
  out.buf[out.len++] = 0x65;
  out.buf[out.len++] = 0x30;
}

export function writeNull(out: ByteBuilder) {
  out.bytes(NULL);
}

/** Writes the value in src[s, e) as an SQL literal. */
export function writeValue(out: ByteBuilder, kind: ColumnKind, src: Buffer, s: number, e: number) {
  switch (kind) {
    case "num":
    case "index":
      return copyRange(out, src, s, e);
    case "str":
      return writeText(out, src, s, e);
    case "double":
    case "float":
      return writeDouble(out, src, s, e);
    case "bit":
      out.ascii("0x");
      if (e === s) return out.byte(0x30);
      return hexInto(out, src, s, e);
    case "temporal":
      out.ensure(e - s + 2);
      out.buf[out.len++] = 0x27;
      copyRange(out, src, s, e);
      return out.byte(0x27);
    case "geom":
      return writeHexLiteral(out, src, s, e);
    case "json8":
      out.bytes(INTRO_UTF8MB4);
      return writeText(out, src, s, e);
  }
}

/**
 * A literal for a key value in a WHERE clause (keyset pagination). Strings get their column's
 * character set and collation so the comparison follows the same order as ORDER BY.
 */
export function keyLiteral(c: DumpColumn, v: Buffer): string {
  if (c.kind === "str" && c.charset && c.charset !== "binary") {
    return `_${c.charset} X'${v.toString("hex")}' COLLATE ${c.collation}`;
  }
  if (c.kind === "str") return `X'${v.toString("hex")}'`;
  if (c.kind === "temporal") return `'${v.toString("latin1")}'`;
  return v.toString("latin1");
}

/** Key column kinds whose literals compare exactly like ORDER BY sorts them. */
export function keysetSafe(c: DumpColumn): boolean {
  return c.kind === "num" || c.kind === "temporal" || (c.kind === "str" && !/blob|text|json|enum|set|inet|uuid/i.test(c.dataType));
}
