import type mysql from "mysql2/promise";
import { quoteIdent } from "../../engines/logical/sql-text";
import type { RenameContext } from "./rename";
import { DomainError } from "../../errors";

const UTF8 = new Set(["utf8mb4", "utf8mb3", "utf8", "binary"]);

/**
 * Database, table and view names in the character set a definition was written in (a routine
 * created under SET NAMES latin1 names `café` in latin1 bytes). The server converts, so every
 * character set it knows works; results are cached per character set.
 */
export class NameCodec {
  private readonly cache = new Map<string, Map<string, Buffer>>();
  private readonly contexts = new Map<string, RenameContext>();
  constructor(
    private readonly conn: mysql.Connection,
    private readonly renames: Map<string, string>,
    private readonly localNames: Map<string, string[]>,
  ) {}

  private async encode(cs: string, texts: string[]): Promise<Map<string, Buffer>> {
    let m = this.cache.get(cs);
    if (!m) this.cache.set(cs, (m = new Map()));
    const todo = [...new Set(texts)].filter((t) => !m!.has(t));
    if (UTF8.has(cs.toLowerCase())) for (const t of todo) m.set(t, Buffer.from(t, "utf8"));
    else if (!/^\w+$/.test(cs)) throw new DomainError("INVALID", `The backup names the character set ${JSON.stringify(cs)}, which is not a character set name: its manifest is damaged. Verify the backup and restore another one.`);
    else {
      for (let i = 0; i < todo.length; i += 200) {
        const part = todo.slice(i, i + 200);
        const [rows] = await this.conn.query({ sql: `SELECT ${part.map((t) => `CAST(CONVERT(_utf8mb4 X'${Buffer.from(t, "utf8").toString("hex")}' USING ${cs}) AS BINARY)`).join(", ")}`, rowsAsArray: true, typeCast: false } as mysql.QueryOptions);
        (rows as unknown as Buffer[][])[0]!.forEach((b, j) => m!.set(part[j]!, b));
      }
    }
    return m;
  }

  /** Rewriting context for a statement of database `db` written in character set `cs`. */
  async context(db: string | undefined, cs: string, mode: { ansiQuotes: boolean; noBackslashEscapes: boolean }): Promise<RenameContext> {
    const key = JSON.stringify([db ?? null, cs, mode.ansiQuotes, mode.noBackslashEscapes]);
    const hit = this.contexts.get(key);
    if (hit) return hit;
    const ctx = await this.build(db, cs, mode);
    this.contexts.set(key, ctx);
    return ctx;
  }

  private async build(db: string | undefined, cs: string, mode: { ansiQuotes: boolean; noBackslashEscapes: boolean }): Promise<RenameContext> {
    const locals = db ? this.localNames.get(db) ?? [] : [];
    const pairs = [...this.renames];
    const enc = await this.encode(cs, [...pairs.flatMap(([from, to]) => [from, quoteIdent(to)]), ...locals]);
    return {
      names: new Map(pairs.map(([from, to]) => [enc.get(from)!.toString("hex"), enc.get(quoteIdent(to))!])),
      localNames: new Set(locals.map((l) => enc.get(l)!.toString("hex"))),
      charset: cs,
      ...mode,
    };
  }
}
