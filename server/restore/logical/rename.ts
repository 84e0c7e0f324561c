/**
 * Rewrites references to renamed databases in SQL text (table DDL, views, routines, triggers,
 * events, grants) when a backup is restored under new database names.
 *
 * A tokenizer walks the statement the way the server reads it (string literals, `quoted` and
 * "ANSI quoted" identifiers, comments, executable comments, and the lead bytes of multi-byte client
 * character sets whose second byte may be a quote or backslash) and rewrites an identifier only
 * when it is the first part of a qualified name: `shop`.`t`, shop.t, `shop`.*, shop.t.c.
 * Limits: a two-part name X.Y whose X is also a table or view of the database is read as
 * table.column and left alone; names inside strings (dynamic SQL in PREPARE, EXECUTE IMMEDIATE) are
 * not rewritten; unqualified uses of a database name (USE shop inside a routine, SHOW TABLES FROM
 * shop) are not rewritten.
 */
export type RenameContext = {
  /** hex of a renamed database's name in the statement's character set -> the new quoted name in it */
  names: Map<string, Buffer>;
  /** hex of the table and view names of the statement's database, in its character set (ambiguity rule) */
  localNames: Set<string>;
  ansiQuotes: boolean;
  noBackslashEscapes: boolean;
  /** client character set the statement is written in */
  charset: string;
};

function leadTest(charset: string): ((b: number) => boolean) | null {
  switch (charset.toLowerCase()) {
    case "sjis":
    case "cp932":
      return (b) => (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc);
    case "gbk":
    case "gb18030":
      return (b) => b >= 0x81 && b <= 0xfe;
    case "big5":
      return (b) => b >= 0xa1 && b <= 0xf9;
    default:
      return null;
  }
}

const isWordByte = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x24 || b >= 0x80;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c || b === 0x0b;

/** value: hex of the identifier's bytes (quotes removed, doubled quotes undone) */
type Token = { kind: "ident" | "dot" | "star" | "other"; start: number; end: number; value?: string };

/** Splits SQL into the tokens that matter for qualified names (comments and strings are "other"). */
export function tokenize(sql: Buffer, ctx: Pick<RenameContext, "ansiQuotes" | "noBackslashEscapes" | "charset">): Token[] {
  const lead = leadTest(ctx.charset);
  const out: Token[] = [];
  const n = sql.length;
  let i = 0;
  const skipQuoted = (q: number, backslash: boolean): number => {
    let j = i + 1;
    while (j < n) {
      const b = sql[j]!;
      if (lead && lead(b)) {
        j += 2;
        continue;
      }
      if (backslash && b === 0x5c) {
        j += 2;
        continue;
      }
      if (b === q) {
        if (sql[j + 1] === q) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j++;
    }
    return n;
  };
  while (i < n) {
    const b = sql[i]!;
    if (isSpace(b)) {
      i++;
      continue;
    }
    if (b === 0x27 || (b === 0x22 && !ctx.ansiQuotes)) {
      const end = skipQuoted(b, !ctx.noBackslashEscapes);
      out.push({ kind: "other", start: i, end });
      i = end;
      continue;
    }
    if (b === 0x60 || b === 0x22) {
      const end = skipQuoted(b, false);
      const bytes: number[] = [];
      for (let j = i + 1; j < end - 1; j++) {
        const c = sql[j]!;
        if (lead && lead(c)) {
          bytes.push(c, sql[j + 1]!);
          j++;
        } else if (c === b && sql[j + 1] === b) {
          bytes.push(c);
          j++;
        } else bytes.push(c);
      }
      out.push({ kind: "ident", start: i, end, value: Buffer.from(bytes).toString("hex") });
      i = end;
      continue;
    }
    if (b === 0x23 || (b === 0x2d && sql[i + 1] === 0x2d && (i + 2 >= n || isSpace(sql[i + 2]!) || sql[i + 2]! < 0x20))) {
      let j = i;
      while (j < n && sql[j] !== 0x0a) j++;
      i = j;
      continue;
    }
    if (b === 0x2f && sql[i + 1] === 0x2a) {
      // executable comments hold code: drop only their opening marker
      if (sql[i + 2] === 0x21 || (sql[i + 2] === 0x4d && sql[i + 3] === 0x21)) {
        let j = i + (sql[i + 2] === 0x21 ? 3 : 4);
        while (j < n && sql[j]! >= 0x30 && sql[j]! <= 0x39) j++;
        i = j;
        continue;
      }
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (b === 0x2a && sql[i + 1] === 0x2f) {
      i += 2;
      continue;
    }
    if (b === 0x2e) {
      out.push({ kind: "dot", start: i, end: i + 1 });
      i++;
      continue;
    }
    if (b === 0x2a) {
      out.push({ kind: "star", start: i, end: i + 1 });
      i++;
      continue;
    }
    if (isWordByte(b)) {
      let j = i;
      while (j < n) {
        const c = sql[j]!;
        if (lead && lead(c)) {
          j += 2;
          continue;
        }
        if (!isWordByte(c)) break;
        j++;
      }
      const word = sql.subarray(i, j);
      // a number such as 1.5 is not a name
      out.push({ kind: /^[0-9]+$/.test(word.toString("latin1")) ? "other" : "ident", start: i, end: j, value: word.toString("hex") });
      i = j;
      continue;
    }
    out.push({ kind: "other", start: i, end: i + 1 });
    i++;
  }
  return out;
}

/** Rewrites qualified references to renamed databases; returns the input when nothing changes. */
export function renameQualified(sql: Buffer, ctx: RenameContext): Buffer {
  if (!ctx.names.size) return sql;
  const toks = tokenize(sql, ctx);
  const edits: { start: number; end: number; text: Buffer }[] = [];
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.kind !== "ident") continue;
    const target = ctx.names.get(t.value!);
    if (target === undefined) continue;
    if (toks[k - 1]?.kind === "dot") continue;
    if (toks[k + 1]?.kind !== "dot") continue;
    const second = toks[k + 2];
    if (!second || (second.kind !== "ident" && second.kind !== "star")) continue;
    const threePart = toks[k + 3]?.kind === "dot" && toks[k + 4]?.kind === "ident";
    if (second.kind === "ident" && !threePart && ctx.localNames.has(t.value!)) continue;
    edits.push({ start: t.start, end: t.end, text: target });
  }
  return applyEdits(sql, edits);
}

/** Replaces the database name in CREATE DATABASE x / ALTER DATABASE x (UTF-8 text). */
export function renameFirstIdentifier(sql: Buffer, from: string, to: string): Buffer {
  const toks = tokenize(sql, { ansiQuotes: false, noBackslashEscapes: false, charset: "utf8mb4" });
  const want = Buffer.from(from, "utf8").toString("hex");
  const t = toks.find((x) => x.kind === "ident" && x.value === want);
  if (!t) return sql;
  return applyEdits(sql, [{ start: t.start, end: t.end, text: Buffer.from("`" + to.replace(/`/g, "``") + "`", "utf8") }]);
}

function applyEdits(sql: Buffer, edits: { start: number; end: number; text: Buffer }[]): Buffer {
  if (!edits.length) return sql;
  const parts: Buffer[] = [];
  let at = 0;
  for (const e of edits) {
    parts.push(sql.subarray(at, e.start), e.text);
    at = e.end;
  }
  parts.push(sql.subarray(at));
  return Buffer.concat(parts);
}
