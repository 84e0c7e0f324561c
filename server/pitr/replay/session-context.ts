import type { QueryStatusVars } from "../../binlog/decode-query";

/**
 * The session state a logged statement ran with (from its QUERY event's status variables and
 * header), turned into the SET statements that give the replay connection the same state. Only
 * what changed since the previous statement is sent, the way mariadb-binlog prints it.
 */

/** flags2 bits (sql_priv.h), checked against MariaDB 10.11's own binlogs. */
const F = {
  AUTO_IS_NULL: 1 << 14,
  NO_CHECK_CONSTRAINT_CHECKS: 1 << 15,
  EXPLICIT_DEF_TIMESTAMP: 1 << 24,
  NO_FOREIGN_KEY_CHECKS: 1 << 26,
  RELAXED_UNIQUE_CHECKS: 1 << 27,
  IF_EXISTS: 1 << 28,
  INSERT_HISTORY: 1 << 30,
} as const;

type FlagVar = { name: string; value: (flags2: number) => number; mariadbOnly?: boolean };

// autocommit (OPTION_NOT_AUTOCOMMIT) is not replayed: every transaction is wrapped in BEGIN ... COMMIT,
// and a session left in autocommit=0 would glue a later standalone statement to the next transaction.
const FLAG_VARS: FlagVar[] = [
  { name: "foreign_key_checks", value: (f) => (f & F.NO_FOREIGN_KEY_CHECKS ? 0 : 1) },
  { name: "sql_auto_is_null", value: (f) => (f & F.AUTO_IS_NULL ? 1 : 0) },
  { name: "unique_checks", value: (f) => (f & F.RELAXED_UNIQUE_CHECKS ? 0 : 1) },
  { name: "check_constraint_checks", value: (f) => (f & F.NO_CHECK_CONSTRAINT_CHECKS ? 0 : 1), mariadbOnly: true },
  { name: "sql_if_exists", value: (f) => (f & F.IF_EXISTS ? 1 : 0), mariadbOnly: true },
  { name: "explicit_defaults_for_timestamp", value: (f) => (f & F.EXPLICIT_DEF_TIMESTAMP ? 1 : 0), mariadbOnly: true },
  { name: "system_versioning_insert_history", value: (f) => (f & F.INSERT_HISTORY ? 1 : 0), mariadbOnly: true },
];

/** Session variables the probe reads from the target before replay starts. */
export const PROBED_VARIABLES = [...FLAG_VARS.map((v) => v.name), "sql_mode", "auto_increment_increment", "auto_increment_offset", "lc_time_names"];

export const SQL_MODE_ANSI_QUOTES = 1n << 2n;
export const SQL_MODE_NO_BACKSLASH_ESCAPES = 1n << 20n;

export type StatementInfo = {
  flavor: "mariadb" | "mysql";
  /** the database name on the target (already renamed), "" for none */
  database: string;
  timestamp: number;
  threadId: number;
  vars: QueryStatusVars;
};

type State = Map<string, string>;

const quoteIdent = (s: string) => "`" + s.replace(/`/g, "``") + "`";
const quoteString = (s: string) => "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "''") + "'";

export class SessionContext {
  private readonly state: State = new Map();
  private clientCharset: number | null = null;

  private readonly present: Set<string>;

  /**
   * @param initial values read from the target session; a variable the target lacks (null) is never
   *   set (an older server: the statement then runs with that server's behaviour)
   * @param canSetThreadId whether the account may set pseudo_thread_id (needs SUPER-like rights)
   * @param charsetOf character set name of a collation id (utf8mb4, latin1, ...)
   */
  constructor(
    initial: Record<string, string | null>,
    private readonly canSetThreadId: boolean,
    private readonly charsetOf: (id: number) => string | undefined,
  ) {
    this.present = new Set(Object.keys(initial).filter((k) => initial[k] !== null));
    for (const [k, v] of Object.entries(initial)) if (v !== null) this.state.set(k, v);
  }

  /** The client character set (collation id) statements are currently read in, when set by replay. */
  get charset(): number | null {
    return this.clientCharset;
  }

  /**
   * SET/USE statements (ASCII text except the USE name, which is UTF-8) that give the session the
   * state this statement ran with. `charsetChanged` tells the caller to end its batch after them:
   * a multi-statement packet should not change how its own remaining bytes are read.
   */
  statementsFor(s: StatementInfo, useName: (name: string) => Buffer): { sql: Buffer[]; charsetChanged: boolean } {
    const out: Buffer[] = [];
    const ascii = (t: string) => out.push(Buffer.from(t, "latin1"));
    const v = s.vars;
    let charsetChanged = false;
    const set = (key: string, value: string, stmt: () => string) => {
      if (this.state.get(key) === value) return false;
      this.state.set(key, value);
      ascii(stmt());
      return true;
    };

    if (s.database && this.state.get("@database") !== s.database) {
      // the name is read in the current client character set: switch to utf8mb4 if a non-ASCII
      // name would otherwise be misread, and let the charset statement below set the real one
      const cs = this.clientCharset === null ? "binary" : (this.charsetOf(this.clientCharset) ?? "");
      if (/[^\x20-\x7e]/.test(s.database) && !cs.startsWith("utf8") && cs !== "binary") {
        ascii("SET @@session.character_set_client=utf8mb4");
        this.clientCharset = null;
        this.state.delete("@charset");
      }
      this.state.set("@database", s.database);
      out.push(Buffer.concat([Buffer.from("USE "), useName(s.database)]));
    }
    const micro = v.hrnowMicroseconds ?? v.microseconds;
    const ts = micro ? `${s.timestamp}.${String(micro).padStart(6, "0")}` : String(s.timestamp);
    set("@timestamp", ts, () => `SET TIMESTAMP=${ts}`);
    if (this.canSetThreadId) set("pseudo_thread_id", String(s.threadId), () => `SET @@session.pseudo_thread_id=${s.threadId}`);
    if (v.flags2 !== undefined) {
      const changes: string[] = [];
      for (const f of FLAG_VARS) {
        if (f.mariadbOnly && s.flavor !== "mariadb") continue;
        if (!this.present.has(f.name)) continue;
        const val = String(f.value(v.flags2));
        if (this.state.get(f.name) === val) continue;
        this.state.set(f.name, val);
        changes.push(`@@session.${f.name}=${val}`);
      }
      if (changes.length) ascii(`SET ${changes.join(", ")}`);
    }
    if (v.sqlMode !== undefined) set("sql_mode", String(v.sqlMode), () => `SET @@session.sql_mode=${v.sqlMode}`);
    const ai = v.autoIncrement ?? { increment: 1, offset: 1 };
    if (this.state.get("auto_increment_increment") !== String(ai.increment) || this.state.get("auto_increment_offset") !== String(ai.offset)) {
      this.state.set("auto_increment_increment", String(ai.increment));
      this.state.set("auto_increment_offset", String(ai.offset));
      ascii(`SET @@session.auto_increment_increment=${ai.increment}, @@session.auto_increment_offset=${ai.offset}`);
    }
    if (v.charset) {
      const c = v.charset;
      const key = `${c.client},${c.connectionCollation},${c.serverCollation}`;
      if (set("@charset", key, () => `SET @@session.character_set_client=${c.client}, @@session.collation_connection=${c.connectionCollation}, @@session.collation_server=${c.serverCollation}`)) {
        charsetChanged = this.clientCharset !== c.client;
        this.clientCharset = c.client;
      }
    }
    if (v.timeZone !== undefined) set("time_zone", v.timeZone, () => `SET @@session.time_zone=${quoteString(v.timeZone!)}`);
    set("lc_time_names", String(v.lcTimeNames ?? 0), () => `SET @@session.lc_time_names=${v.lcTimeNames ?? 0}`);
    set("@collation_database", String(v.charsetDatabase ?? "DEFAULT"), () => `SET @@session.collation_database=${v.charsetDatabase ?? "DEFAULT"}`);
    if (s.flavor === "mysql") {
      if (v.explicitDefaultsForTimestamp !== undefined) set("explicit_defaults_for_timestamp", v.explicitDefaultsForTimestamp ? "1" : "0", () => `SET @@session.explicit_defaults_for_timestamp=${v.explicitDefaultsForTimestamp ? 1 : 0}`);
      if (v.defaultCollationForUtf8mb4 !== undefined) set("default_collation_for_utf8mb4", String(v.defaultCollationForUtf8mb4), () => `SET @@session.default_collation_for_utf8mb4=${v.defaultCollationForUtf8mb4}`);
      if (v.sqlRequirePrimaryKey !== undefined) set("sql_require_primary_key", String(v.sqlRequirePrimaryKey), () => `SET @@session.sql_require_primary_key=${v.sqlRequirePrimaryKey}`);
      if (v.defaultTableEncryption !== undefined) set("default_table_encryption", String(v.defaultTableEncryption), () => `SET @@session.default_table_encryption=${v.defaultTableEncryption}`);
    }
    return { sql: out, charsetChanged };
  }
}

export { quoteIdent };
