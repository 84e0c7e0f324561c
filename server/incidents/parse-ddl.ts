// Which statements of a QUERY event are incidents a DBA may want to undo, and which tables they
// name. Only the head of the statement is parsed: the kind and the object names.

export type DdlKind = "drop_table" | "drop_database" | "truncate_table" | "rename_table" | "alter_table";

export type DdlIncident = { kind: DdlKind; tables: string[]; database?: string };

const IDENT = "(?:`(?:[^`]|``)+`|[A-Za-z0-9_$\\u0080-\\uffff]+)";
const QNAME = `${IDENT}(?:\\s*\\.\\s*${IDENT})?`;

function unquote(s: string): string {
  const t = s.trim();
  return t.startsWith("`") ? t.slice(1, -1).replace(/``/g, "`") : t;
}

/** "db.t", "`db`.`t`" or "t" (in the statement's default database) -> "db.t". */
function qualify(name: string, defaultDb: string): string {
  const m = new RegExp(`^(${IDENT})\\s*\\.\\s*(${IDENT})$`).exec(name.trim());
  if (m) return `${unquote(m[1]!)}.${unquote(m[2]!)}`;
  return `${defaultDb}.${unquote(name)}`;
}

function names(list: string, defaultDb: string): string[] {
  const out: string[] = [];
  const re = new RegExp(QNAME, "gy");
  let rest = list.trim();
  for (;;) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) break;
    out.push(qualify(m[0], defaultDb));
    rest = rest.slice(m[0].length).trimStart();
    if (!rest.startsWith(",")) break;
    rest = rest.slice(1).trimStart();
  }
  return out;
}

/** Drops leading comments (`/* ... *\/`, `-- ...`, `# ...`) and whitespace. */
function stripHead(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.trimStart();
    if (t.startsWith("/*") && !t.startsWith("/*!")) {
      const end = t.indexOf("*/");
      if (end < 0) return "";
      s = t.slice(end + 2);
    } else if (t.startsWith("--") || t.startsWith("#")) {
      const end = t.indexOf("\n");
      s = end < 0 ? "" : t.slice(end + 1);
    } else return t;
  }
}

/** The incident a statement is, or null (DML, CREATE, temporary tables, anything else). */
export function parseDdl(sql: string, defaultDb: string): DdlIncident | null {
  const s = stripHead(sql);
  let m = /^DROP\s+(TEMPORARY\s+)?TABLES?\s+(?:IF\s+EXISTS\s+)?([\s\S]*)$/i.exec(s);
  if (m) return m[1] ? null : { kind: "drop_table", tables: names(m[2]!, defaultDb) };
  m = new RegExp(`^DROP\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+EXISTS\\s+)?(${IDENT})`, "i").exec(s);
  if (m) return { kind: "drop_database", tables: [], database: unquote(m[1]!) };
  m = new RegExp(`^TRUNCATE\\s+(?:TABLE\\s+)?(${QNAME})`, "i").exec(s);
  if (m) return { kind: "truncate_table", tables: [qualify(m[1]!, defaultDb)] };
  m = /^RENAME\s+TABLES?\s+([\s\S]*)$/i.exec(s);
  if (m) {
    const tables: string[] = [];
    const re = new RegExp(`(${QNAME})\\s+TO\\s+(${QNAME})`, "gi");
    for (const p of m[1]!.matchAll(re)) tables.push(qualify(p[1]!, defaultDb));
    return { kind: "rename_table", tables };
  }
  m = new RegExp(`^ALTER\\s+(?:ONLINE\\s+|IGNORE\\s+)*TABLE\\s+(?:IF\\s+EXISTS\\s+)?(${QNAME})`, "i").exec(s);
  if (m) return { kind: "alter_table", tables: [qualify(m[1]!, defaultDb)] };
  return null;
}
