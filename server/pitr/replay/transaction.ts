import type { BinlogEvent } from "../../binlog";
import type { ChecksumAlg } from "../../binlog/checksum";
import type { QueryDetails } from "../../binlog/decode-query";
import { EventType, HEADER_LENGTH } from "../../binlog/event-types";
import { DomainError } from "../../errors";
import { formatPos } from "../positions";
import type { ReplayConnection } from "./apply-connection";
import type { Stmt, TrxRef } from "./batcher";
import { queryParts, renameTableMap, uncompressRowsEvent, withStmtEnd } from "./event-bytes";
import type { SessionContext } from "./session-context";
import type { StatementScope } from "./statement-scope";
import { varEventSql } from "./var-events";

/** What building a transaction's statements needs from the replay around it. */
export type TrxEnv = {
  file: string;
  checksum: ChecksumAlg;
  postHeader(type: number, fallback: number): number;
  scope: StatementScope;
  session: SessionContext;
  flavor: "mariadb" | "mysql";
  conn: ReplayConnection;
  /** raw bytes of row events per BINLOG statement before it is cut */
  chunkRaw: number;
  /** largest statement the target accepts in one packet */
  maxStatement: number;
  skipped(reason: string, what: string, ev: BinlogEvent): void;
};

const ascii = (s: string) => Buffer.from(s, "latin1");
const quoteUse = (name: string) => Buffer.from("`" + name.replace(/`/g, "``") + "`", "utf8");

function labelOf(sql: Buffer, charset: string | undefined): string {
  const text = sql.subarray(0, 400).toString(charset === "latin1" ? "latin1" : "utf8").replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * The statements of one transaction (or standalone statement), built from its events as they are
 * read. Row events go to the target inside BINLOG statements, as mariadb-binlog writes them: each
 * statement's TABLE_MAPs followed by its rows events (a BINLOG statement forgets table maps when it
 * ends, so a statement cut across BINLOG statements repeats its maps). Rows of databases not being
 * restored are left out; table maps are renamed for databases restored under another name.
 */
export class PendingTransaction {
  readonly ref: TrxRef;
  /** BEGIN ... COMMIT (false: a statement that commits by itself) */
  begun: boolean;
  /** the events of the transaction went to the target before its end was known (a huge transaction) */
  streaming = false;
  beginSent = false;
  hasRows = false;
  private stmts: Stmt[] = [];
  private bytes = 0;
  private content = 0;
  private pendingVars: Stmt[] = [];
  // row events of the BINLOG statement being assembled
  private group: Buffer[] = [];
  private groupBytes = 0;
  private groupFirstPos = 0;
  private groupTables = new Set<string>();
  private groupHasRows = false;
  // the SQL statement the row events belong to
  private inStatement = false;
  private stmtStart = 0;
  private stmtHasRows = false;
  private stmtMaps = new Map<number, Buffer>();
  private lastRowsIdx = -1;
  private tables = new Map<number, { db: string; table: string; included: boolean }>();

  /** MariaDB's standalone GTID: the group is one statement that commits by itself */
  readonly standalone: boolean;

  constructor(
    private readonly env: TrxEnv,
    seq: number,
    start: BinlogEvent,
    opts: { gtid?: string; begun: boolean; standalone: boolean },
  ) {
    this.ref = { seq, file: env.file, startPosition: start.position, endPosition: start.endPosition, gtid: opts.gtid, commitTimestamp: start.header.timestamp };
    this.begun = opts.begun;
    this.standalone = opts.standalone;
  }

  get pendingBytes() {
    return this.bytes + this.groupBytes;
  }

  get hasContent() {
    return this.content > 0 || this.groupHasRows;
  }

  private stmt(kind: Stmt["kind"], sql: Buffer, label: string, position: number, extra: Partial<Stmt> = {}): Stmt {
    return { sql, kind, label, file: this.env.file, position, trx: this.ref, ...extra };
  }

  private push(s: Stmt) {
    this.stmts.push(s);
    this.bytes += s.sql.length + 3;
  }

  private damaged(ev: BinlogEvent, what: string): DomainError {
    return new DomainError("INVALID", `${formatPos({ file: this.env.file, position: ev.position })}: ${what}. Replay must start at a transaction boundary (the backup's coordinates) and read whole transactions; the binlog or the coordinates are wrong.`);
  }

  tableMap(ev: BinlogEvent) {
    const d = ev.details;
    if (d?.kind !== "table_map") throw this.damaged(ev, `TABLE_MAP cannot be decoded (${ev.decodeError ?? "no details"})`);
    if (!this.inStatement) {
      this.inStatement = true;
      this.stmtStart = this.group.length;
      this.stmtHasRows = false;
      this.stmtMaps.clear();
      this.tables.clear();
      this.lastRowsIdx = -1;
    }
    this.env.scope.noteDatabase(d.database);
    const included = this.env.scope.includes(d.database);
    this.tables.set(d.tableId, { db: d.database, table: d.table, included });
    if (!included) return;
    const target = this.env.scope.targetName(d.database);
    const raw = target === d.database ? ev.raw : renameTableMap(ev.raw, target, this.env.postHeader(ev.header.type, 8), this.env.checksum);
    this.stmtMaps.set(d.tableId, raw);
    this.addToGroup(raw, ev.position);
  }

  rows(ev: BinlogEvent) {
    const d = ev.details;
    if (d?.kind !== "rows") throw this.damaged(ev, `${ev.typeName} cannot be decoded (${ev.decodeError ?? "no details"})`);
    const t = this.tables.get(d.tableId);
    if (!t) throw this.damaged(ev, `${ev.typeName} for table id ${d.tableId} has no TABLE_MAP before it`);
    if (t.included) {
      this.lastRowsIdx = this.group.length;
      const raw = d.compressed ? uncompressRowsEvent(ev.raw, this.env.postHeader(ev.header.type, d.version === 2 ? 10 : 8), this.env.checksum) : ev.raw;
      this.addToGroup(raw, ev.position);
      this.stmtHasRows = true;
      this.groupHasRows = true;
      this.hasRows = true;
      this.groupTables.add(`${t.db}.${t.table}`);
    }
    if (d.stmtEnd) {
      if (!t.included && this.stmtHasRows && this.lastRowsIdx >= 0) {
        // the flag travelled on a skipped event: put it on the last kept one
        const ph = this.env.postHeader(this.group[this.lastRowsIdx]![4]!, 10);
        const patched = withStmtEnd(this.group[this.lastRowsIdx]!, ph, this.env.checksum);
        this.group[this.lastRowsIdx] = patched;
      }
      if (!this.stmtHasRows) this.dropFromGroup(this.stmtStart);
      this.inStatement = false;
      this.stmtMaps.clear();
      this.lastRowsIdx = -1;
    }
    if (this.groupBytes >= this.env.chunkRaw) this.flushRows();
  }

  private addToGroup(raw: Buffer, position: number) {
    if (!this.group.length) this.groupFirstPos = position;
    this.group.push(raw);
    this.groupBytes += raw.length;
  }

  /**
   * The server silently ignores a rows event whose table map is not in the same BINLOG statement,
   * so a group is checked before it is sent: a bug here must fail loudly, never lose rows.
   */
  private checkMapped() {
    const mapped = new Set<number>();
    for (const raw of this.group) {
      const type = raw[4]!;
      const id = raw.readUIntLE(HEADER_LENGTH, this.env.postHeader(type, 8) === 6 ? 4 : 6);
      if (type === EventType.TABLE_MAP) mapped.add(id);
      else if (!mapped.has(id)) throw new DomainError("INTERNAL", `replay assembled row events for table id ${id} without their table map (${formatPos({ file: this.env.file, position: this.groupFirstPos })})`);
    }
  }

  private dropFromGroup(from: number) {
    for (let i = from; i < this.group.length; i++) this.groupBytes -= this.group[i]!.length;
    this.group.length = from;
  }

  /** Turns the assembled row events into a BINLOG statement (or two fragments when one is too big). */
  flushRows() {
    if (!this.groupHasRows) {
      // only table maps so far: keep those of a statement still being read
      if (!this.inStatement) {
        this.group = [];
        this.groupBytes = 0;
        this.groupTables.clear();
      }
      return;
    }
    this.checkMapped();
    const b64 = Buffer.from(Buffer.concat(this.group).toString("base64"), "latin1");
    const label = `row events for ${[...this.groupTables].join(", ")}`;
    const at = this.groupFirstPos;
    if (b64.length + 16 <= this.env.maxStatement) {
      this.push(this.stmt("rows", Buffer.concat([ascii("BINLOG '"), b64, ascii("'")]), label, at));
    } else if (this.env.flavor === "mariadb" && b64.length / 2 + 64 <= this.env.maxStatement) {
      // MariaDB reassembles a BINLOG statement from two user variables, each sent in its own statement
      const half = Math.ceil(b64.length / 8) * 4;
      this.push(this.stmt("rows", Buffer.concat([ascii("SET @binlog_fragment_0='"), b64.subarray(0, half), ascii("'")]), `${label} (first half)`, at));
      this.push(this.stmt("rows", Buffer.concat([ascii("SET @binlog_fragment_1='"), b64.subarray(half), ascii("'")]), `${label} (second half)`, at));
      this.push(this.stmt("rows", ascii("BINLOG @binlog_fragment_0, @binlog_fragment_1"), label, at));
    } else {
      throw new DomainError(
        "PRECONDITION",
        `${formatPos({ file: this.env.file, position: at })}: a row event of ${Math.round(b64.length / 1.33 / 1048576)} MiB (${label}) does not fit in max_allowed_packet (${Math.round(this.env.maxStatement / 1048576)} MiB) of the target: SET GLOBAL max_allowed_packet = ${Math.ceil((b64.length * 1.1) / 1048576)} * 1048576 on it and retry.`,
      );
    }
    this.content++;
    this.group = [];
    this.groupBytes = 0;
    this.groupTables.clear();
    this.groupHasRows = false;
    if (this.inStatement) {
      // cut inside a statement: the rest of its rows need its table maps again
      this.stmtStart = 0;
      this.lastRowsIdx = -1;
      for (const m of this.stmtMaps.values()) this.addToGroup(m, at);
    }
  }

  /** INTVAR, RAND, USER_VAR: kept for the statement that follows (dropped with it if it is skipped). */
  variable(ev: BinlogEvent) {
    let sql: string;
    try {
      sql = varEventSql(ev.header.type, ev.raw, this.env.checksum, this.env.conn.collations);
    } catch (e) {
      throw new DomainError("PRECONDITION", `${formatPos({ file: this.env.file, position: ev.position })}: ${(e as Error).message}; this statement-based event cannot be replayed exactly.`);
    }
    this.pendingVars.push(this.stmt("var", ascii(sql), sql, ev.position));
  }

  /** SAVEPOINT / ROLLBACK TO / RELEASE: part of the transaction's shape, sent as logged. */
  verbatim(ev: BinlogEvent, sql: string) {
    this.flushRows();
    this.push(this.stmt("query", Buffer.from(sql, "utf8"), sql, ev.position));
  }

  /** A statement (DDL, statement-based DML): its session context, then its text (renamed). */
  query(ev: BinlogEvent, d: QueryDetails, compressed: boolean) {
    this.flushRows();
    const env = this.env;
    const { sql: rawSql } = queryParts(ev.raw, env.postHeader(ev.header.type, 13), env.checksum, compressed);
    const charset = env.conn.charsetOf(d.statusVars.charset?.client) ?? "utf8mb4";
    const decision = env.scope.decide({ database: d.database, sql: rawSql, charset, sqlMode: d.statusVars.sqlMode });
    const label = labelOf(rawSql, charset);
    if (decision.action === "skip") {
      this.pendingVars = [];
      env.skipped(decision.reason, label, ev);
      return;
    }
    if (decision.action === "conflict") {
      throw new DomainError(
        "PRECONDITION",
        `${formatPos({ file: env.file, position: ev.position })}${this.ref.gtid ? ` (GTID ${this.ref.gtid})` : ""}: cannot restore a subset of databases exactly past this statement, because ${decision.reason}: ${label}. Restore those databases together, or stop before this point.`,
        { field: "databases" },
      );
    }
    if (decision.sql.length + 16 > env.maxStatement) {
      throw new DomainError(
        "PRECONDITION",
        `${formatPos({ file: env.file, position: ev.position })}: a statement of ${Math.ceil(decision.sql.length / 1048576)} MiB does not fit in max_allowed_packet (${Math.floor(env.maxStatement / 1048576)} MiB) of the target: SET GLOBAL max_allowed_packet = ${Math.ceil((decision.sql.length * 1.1) / 1048576)} * 1048576 on it and retry.`,
      );
    }
    env.scope.noteDatabase(d.database);
    const ctx = env.session.statementsFor(
      { flavor: env.flavor, database: d.database ? env.scope.targetName(d.database) : "", timestamp: ev.header.timestamp, threadId: d.threadId, vars: d.statusVars },
      quoteUse,
    );
    ctx.sql.forEach((s, i) => this.push(this.stmt("context", s, `session context of: ${label}`, ev.position, i === ctx.sql.length - 1 && ctx.charsetChanged ? { endsBatch: true } : {})));
    for (const v of this.pendingVars) this.push(v);
    this.pendingVars = [];
    const expected = d.errorCode !== 0 ? { expectedErrno: d.errorCode, endsBatch: true } : {};
    this.push(this.stmt("query", decision.sql, label, ev.position, expected));
    this.content++;
  }

  /** Statements built so far and not yet sent (streaming a huge transaction). */
  takeStatements(): Stmt[] {
    this.flushRows();
    const s = this.stmts;
    this.stmts = [];
    this.bytes = 0;
    return s;
  }

  /** The transaction's end is known: its statements, wrapped as it was (BEGIN ... COMMIT/ROLLBACK). */
  finish(end: BinlogEvent, endSql: "COMMIT" | "ROLLBACK" | null): Stmt[] {
    this.ref.endPosition = end.endPosition;
    this.ref.commitTimestamp = end.header.timestamp;
    this.flushRows();
    if (!this.content && !this.beginSent) return [];
    const out: Stmt[] = [];
    if (this.begun && !this.beginSent) out.push(this.stmt("begin", ascii("BEGIN"), "BEGIN", this.ref.startPosition));
    out.push(...this.stmts);
    this.stmts = [];
    this.bytes = 0;
    if (this.begun || this.beginSent) out.push(this.stmt(endSql === "ROLLBACK" ? "rollback" : "commit", ascii(endSql ?? "COMMIT"), endSql ?? "COMMIT", end.position, { commits: true }));
    else out[out.length - 1]!.commits = true;
    return out;
  }

  /** The BEGIN that opens a streamed transaction. */
  beginStatement(): Stmt {
    this.beginSent = true;
    return this.stmt("begin", ascii("BEGIN"), "BEGIN", this.ref.startPosition);
  }
}
