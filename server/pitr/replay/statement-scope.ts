import { tokenize } from "../../restore/logical/rename";
import { SQL_MODE_ANSI_QUOTES, SQL_MODE_NO_BACKSLASH_ESCAPES } from "./session-context";

/**
 * Which databases a logged statement touches, whether it belongs to the databases being restored,
 * and its text with renamed databases rewritten.
 *
 * A statement touches its default database (USE) and every database it names in a qualified
 * reference (`db`.`t`, db.t, db.*, db.t.c) or as the object of CREATE/ALTER/DROP DATABASE. A
 * two-part name X.Y counts as a database reference only when X is a database known to exist on the
 * source (the backup's, or one seen in the binlogs): otherwise X.Y is table.column or alias.column.
 *
 * Limits (documented for DBAs): a table or alias named like a known database (shop.id where `shop` is
 * also a table) is read as a database reference; database names inside strings (PREPARE, EXECUTE
 * IMMEDIATE, dynamic SQL in routines) and USE inside routine bodies are neither seen nor rewritten;
 * with a database subset, a statement whose default database is restored but that also names one
 * that is not (or the reverse) stops the replay rather than guessing.
 */

export type ScopeDecision =
  | { action: "apply"; sql: Buffer; databases: string[] }
  | { action: "skip"; reason: string }
  | { action: "conflict"; reason: string };

export type ScopeInput = {
  /** default database as logged */
  database: string;
  sql: Buffer;
  /** character set name the statement text is in */
  charset: string;
  sqlMode: bigint | undefined;
};

type Tok = ReturnType<typeof tokenize>[number];

const ACCOUNT_OBJECTS = new Set(["USER", "ROLE", "SERVER"]);
const SERVER_LEVEL_FIRST = new Set(["GRANT", "REVOKE", "FLUSH", "INSTALL", "UNINSTALL", "RESET", "PURGE", "CHANGE", "KILL"]);
const DB_WORDS = new Set(["DATABASE", "SCHEMA"]);
const DB_OPTION_WORDS = new Set(["DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "COMMENT", "UPGRADE", "READ", "ENCRYPTION"]);

/** Bytes of a name in a client character set, or null when the set cannot be matched reliably. */
export function encodeName(name: string, charset: string): Buffer | null {
  const cs = charset.toLowerCase();
  if (cs.startsWith("utf8") || cs === "binary") return Buffer.from(name, "utf8");
  if (/^[\x00-\x7f]*$/.test(name)) return Buffer.from(name, "latin1");
  if (cs === "latin1") return Buffer.from(name, "latin1");
  return null;
}

function quoted(nameBytes: Buffer): Buffer {
  const parts: number[] = [0x60];
  for (const b of nameBytes) {
    parts.push(b);
    if (b === 0x60) parts.push(0x60);
  }
  parts.push(0x60);
  return Buffer.from(parts);
}

const word = (t: Tok | undefined) => (t?.kind === "ident" && t.value ? Buffer.from(t.value, "hex").toString("latin1").toUpperCase() : "");

export class StatementScope {
  private readonly known = new Set<string>();

  /**
   * @param databases source databases being restored (null: all)
   * @param followCreated a database created by the binlogs (CREATE DATABASE) joins `databases`: it
   *   did not exist when the base backup was taken, so the binlogs hold all of it
   */
  constructor(
    private readonly databases: Set<string> | null,
    private readonly rename: Map<string, string>,
    known: Iterable<string>,
    private readonly followCreated = false,
  ) {
    for (const k of known) this.known.add(k);
    for (const d of databases ?? []) this.known.add(d);
    for (const d of rename.keys()) this.known.add(d);
    for (const d of ["mysql", "sys", "performance_schema", "information_schema"]) this.known.add(d);
  }

  private hexCache = new Map<string, Map<string, string>>();

  /** A database seen in the binlogs (a table map, a default database, CREATE DATABASE). */
  noteDatabase(name: string) {
    if (!name || this.known.has(name)) return;
    this.known.add(name);
    this.hexCache.clear();
  }

  /** hex of each known name as written in a character set -> the name */
  private hexNames(charset: string): Map<string, string> {
    let m = this.hexCache.get(charset);
    if (!m) {
      m = new Map();
      for (const k of this.known) {
        const b = encodeName(k, charset);
        if (b) m.set(b.toString("hex"), k);
      }
      this.hexCache.set(charset, m);
    }
    return m;
  }

  includes(db: string): boolean {
    return !this.databases || this.databases.has(db);
  }

  targetName(db: string): string {
    return this.rename.get(db) ?? db;
  }

  decide(q: ScopeInput): ScopeDecision {
    if (!this.databases && !this.rename.size) return { action: "apply", sql: q.sql, databases: q.database ? [q.database] : [] };
    const toks = tokenize(q.sql, {
      ansiQuotes: q.sqlMode !== undefined && (q.sqlMode & SQL_MODE_ANSI_QUOTES) !== 0n,
      noBackslashEscapes: q.sqlMode !== undefined && (q.sqlMode & SQL_MODE_NO_BACKSLASH_ESCAPES) !== 0n,
      charset: q.charset,
    });
    const hexOf = this.hexNames(q.charset);
    const edits: { start: number; end: number; text: Buffer }[] = [];
    const named = new Set<string>();
    const renameTok = (t: Tok, name: string) => {
      const to = this.rename.get(name);
      if (to === undefined || to === name) return;
      const bytes = encodeName(to, q.charset);
      if (bytes) edits.push({ start: t.start, end: t.end, text: quoted(bytes) });
    };

    const w0 = word(toks[0]);
    let i = 1;
    if (word(toks[i]) === "OR" && word(toks[i + 1]) === "REPLACE") i += 2;
    const w1 = word(toks[i]);
    const serverLevel =
      SERVER_LEVEL_FIRST.has(w0) || (["CREATE", "DROP", "ALTER", "RENAME"].includes(w0) && ACCOUNT_OBJECTS.has(w1)) || (w0 === "SET" && ["PASSWORD", "ROLE", "DEFAULT"].includes(w1));

    // CREATE/ALTER/DROP DATABASE name: the database is the object, the default database does not matter
    let dbLevel = false;
    if (["CREATE", "DROP", "ALTER"].includes(w0) && DB_WORDS.has(w1)) {
      dbLevel = true;
      let j = i + 1;
      const ifNotExists = word(toks[j]) === "IF";
      while (["IF", "NOT", "EXISTS"].includes(word(toks[j]))) j++;
      const t = toks[j];
      if (t?.kind === "ident" && !(w0 === "ALTER" && DB_OPTION_WORDS.has(word(t)))) {
        const name = Buffer.from(t.value!, "hex").toString(q.charset.startsWith("utf8") || q.charset === "binary" ? "utf8" : "latin1");
        named.add(name);
        // a plain CREATE DATABASE succeeded on the source: the database did not exist before it
        if (w0 === "CREATE" && !ifNotExists && this.followCreated && this.databases) this.databases.add(name);
        this.noteDatabase(name);
        renameTok(t, name);
      } else if (q.database) {
        named.add(q.database); // ALTER DATABASE without a name: the default database
      }
    }

    for (let k = 0; k < toks.length; k++) {
      const t = toks[k]!;
      if (t.kind !== "ident" || toks[k - 1]?.kind === "dot" || toks[k + 1]?.kind !== "dot") continue;
      const second = toks[k + 2];
      if (!second || (second.kind !== "ident" && second.kind !== "star")) continue;
      const threePart = toks[k + 3]?.kind === "dot" && toks[k + 4]?.kind === "ident";
      const name = hexOf.get(t.value!);
      if (name === undefined && !threePart) continue;
      const db = name ?? Buffer.from(t.value!, "hex").toString("utf8");
      named.add(db);
      renameTok(t, db);
    }

    const touched = new Set(named);
    if (q.database && !dbLevel) touched.add(q.database);
    const list = [...touched];
    const sql = applyEdits(q.sql, edits);

    if (!this.databases) return { action: "apply", sql, databases: list };
    if (serverLevel) return { action: "skip", reason: "account or server statement (not replayed when restoring a subset of databases)" };
    if (list.length === 0) return { action: "skip", reason: "statement without a database" };
    const inside = list.filter((d) => this.databases!.has(d));
    if (inside.length === list.length) return { action: "apply", sql, databases: list };
    if (inside.length === 0) return { action: "skip", reason: `touches only ${list.join(", ")}` };
    return {
      action: "conflict",
      reason: `it touches restored database(s) ${inside.join(", ")} and database(s) not being restored ${list.filter((d) => !this.databases!.has(d)).join(", ")}`,
    };
  }
}

function applyEdits(sql: Buffer, edits: { start: number; end: number; text: Buffer }[]): Buffer {
  if (!edits.length) return sql;
  edits.sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let at = 0;
  for (const e of edits) {
    if (e.start < at) continue;
    parts.push(sql.subarray(at, e.start), e.text);
    at = e.end;
  }
  parts.push(sql.subarray(at));
  return Buffer.concat(parts);
}
