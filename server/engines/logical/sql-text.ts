/** Small pieces of SQL text shared by the dump and the loader. */

/** `name` quoted as an identifier; backticks inside are doubled. */
export function quoteIdent(name: string): string {
  return "`" + name.replace(/`/g, "``") + "`";
}

export function qualified(db: string, name: string): string {
  return `${quoteIdent(db)}.${quoteIdent(name)}`;
}

/** 'text' as an SQL string literal (for SET statements and the like; data values use value-encoder). */
export function quoteString(s: string): string {
  return "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\0/g, "\\0") + "'";
}

/** "db.table" as people write it in filters and messages. */
export function displayName(db: string, table?: string): string {
  return table === undefined ? `\`${db}\`` : `\`${db}\`.\`${table}\``;
}

/** The account part of CURRENT_USER() ("u@h") as 'u'@'h' for GRANT statements. */
export function accountOf(currentUser: string): string {
  const at = currentUser.lastIndexOf("@");
  const user = at >= 0 ? currentUser.slice(0, at) : currentUser;
  const host = at >= 0 ? currentUser.slice(at + 1) : "%";
  return `'${user.replace(/'/g, "''")}'@'${host.replace(/'/g, "''")}'`;
}

const DELIMITERS = [";;", "$$", "//", "$$$", ";;;", "@@@@"];

/**
 * A client DELIMITER that does not occur in the statement, for bodies that contain ";" (routines,
 * triggers, events). The stock client looks for the delimiter outside quotes only, but never
 * meeting it at all is the simplest guarantee.
 */
export function chooseDelimiter(stmt: Buffer): string {
  for (const d of DELIMITERS) if (!stmt.includes(d)) return d;
  for (let i = 0; ; i++) {
    const d = `@@dbb${i}@@`;
    if (!stmt.includes(d)) return d;
  }
}
