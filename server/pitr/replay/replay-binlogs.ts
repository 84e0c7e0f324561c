import { readEvents, type BinlogEvent } from "../../binlog";
import { ByteReader } from "../../binlog/byte-reader";
import type { ChecksumAlg } from "../../binlog/checksum";
import { decodeQuery, type QueryDetails } from "../../binlog/decode-query";
import { decodeFormatDescription, postHeaderLength, type FormatDescription } from "../../binlog/decode-format-description";
import { CHECKSUM_LENGTH, EventType, HEADER_LENGTH, ROWS_EVENT_TYPES } from "../../binlog/event-types";
import type { WorkContext } from "../../work-context";
import { DomainError } from "../../errors";
import { formatBytes } from "../../util/format";
import { stateIncludes } from "../gtid";
import { formatPos, type BinlogPos } from "../positions";
import { ReplayConnection } from "./apply-connection";
import { Batcher, StatementFailure, type Stmt, type TrxRef } from "./batcher";
import { fdeForReplay } from "./event-bytes";
import { advanceGtid } from "./gtid-state";
import { appliedUpTo, Cancelled, damaged, replayError, unreadable, unsupported, where } from "./replay-errors";
import { SessionContext } from "./session-context";
import { StatementScope } from "./statement-scope";
import { StopRule, type TrxBounds } from "./stop-rule";
import { PendingTransaction, type TrxEnv } from "./transaction";
import type { ReplayOptions, ReplayResult, ReplaySource } from "./types";

const IGNORED = new Set<number>([
  EventType.ROTATE,
  EventType.GTID_LIST,
  EventType.BINLOG_CHECKPOINT,
  EventType.MYSQL_PREVIOUS_GTIDS,
  EventType.ANNOTATE_ROWS,
  EventType.ROWS_QUERY,
  EventType.HEARTBEAT,
  EventType.HEARTBEAT_V2,
  EventType.STOP,
  EventType.IGNORABLE,
  EventType.TRANSACTION_CONTEXT,
  EventType.VIEW_CHANGE,
]);
const VARIABLES = new Set<number>([EventType.INTVAR, EventType.RAND, EventType.USER_VAR]);
const LOAD_DATA = new Set<number>([6, 7, 8, 9, 10, 11, 12, EventType.BEGIN_LOAD_QUERY, EventType.EXECUTE_LOAD_QUERY]);
/** header flag of events a reader may skip when it does not know them */
const LOG_EVENT_IGNORABLE = 0x80;
const SKIP_LOG_LIMIT = 20;
const MiB = 1 << 20;

/**
 * Applies archived binlogs to a server from a base backup's coordinates up to a target: every
 * transaction is applied whole or not at all, in binlog order, through one dedicated connection.
 * See ReplayOptions for what can be asked, transaction.ts for how events become statements,
 * batcher.ts for how they travel, stop-rule.ts for where replay stops.
 */
export async function replayBinlogs(ctx: WorkContext, opts: ReplayOptions): Promise<ReplayResult> {
  if (!opts.sources.length) throw new DomainError("PRECONDITION", `No archived binlog to replay from ${formatPos(opts.from)}.`);
  if (opts.sources[0]!.file !== opts.from.file) {
    throw new DomainError("PRECONDITION", `Replay starts at ${formatPos(opts.from)}, but the first binlog given is ${opts.sources[0]!.file}: the archive does not hold the base backup's file.`);
  }
  if (opts.until && "gtid" in opts.until && opts.fromGtid && includesSafely(opts.fromGtid, opts.until.gtid)) {
    throw new DomainError("PRECONDITION", `GTID ${opts.until.gtid} is already in the base backup (its GTID state is ${opts.fromGtid}): restore an older backup to stop before it.`, { field: "untilGtid" });
  }
  const conn = await ReplayConnection.open(ctx, opts.target, { writeBinlog: opts.writeBinlog });
  try {
    return await new Replayer(ctx, opts, conn).run();
  } finally {
    await conn.close();
  }
}

function includesSafely(state: string, gtid: string): boolean {
  try {
    return stateIncludes(state, gtid);
  } catch {
    return false; // a state this build cannot parse: let replay look for the GTID
  }
}

class Replayer {
  private readonly stop: StopRule;
  private readonly scope: StatementScope;
  private readonly env: TrxEnv;
  private readonly batcher: Batcher;
  private readonly batchBytes: number;
  private readonly streamThreshold: number;
  private cur: PendingTransaction | null = null;
  private seq = 0;
  private fde: { raw: Buffer; details: FormatDescription } | null = null;
  private fdeSentFor: string | null = null;
  private stopped = false;
  private stoppedBy: ReplayResult["stoppedBy"] = "end";
  private events = 0;
  private bytes = 0;
  private readUpTo: BinlogPos | null = null;
  private lastEventTs: number | null = null;
  private committed = 0;
  private lastCommitted: TrxRef | null = null;
  private skippedTrx = 0;
  private lastIncluded: TrxBounds | null = null;
  private gtidState: string | null;
  private skippedStatements = 0;
  private incompleteTail: ReplayResult["incompleteTail"] = null;
  private lastProgress = 0;
  private readonly phase: string;
  /** the transaction being passed over (skipGtids): its events are read, not applied */
  private skipping: { gtid: string; begun: boolean } | null = null;
  private readonly skipGtids: Set<string>;
  private skippedAsAsked: string[] = [];

  constructor(
    private readonly ctx: WorkContext,
    private readonly opts: ReplayOptions,
    private readonly conn: ReplayConnection,
  ) {
    this.stop = new StopRule(opts.until);
    const rename = new Map(Object.entries(opts.rename ?? {}).filter(([a, b]) => a !== b));
    this.scope = new StatementScope(opts.databases ? new Set(opts.databases) : null, rename, [...(opts.knownDatabases ?? []), ...conn.databases], opts.followCreatedDatabases ?? false);
    this.batchBytes = Math.max(64 * 1024, Math.min(opts.batchBytes ?? 4 * MiB, conn.maxAllowedPacket - 64 * 1024, 15 * MiB));
    this.streamThreshold = Math.max(this.batchBytes, opts.streamThreshold ?? 64 * MiB);
    this.gtidState = opts.fromGtid ?? null;
    this.phase = opts.phase ?? "replaying binlogs";
    this.skipGtids = new Set(opts.skipGtids ?? []);
    const session = new SessionContext(conn.initial, conn.canSetThreadId, (id) => conn.charsetOf(id));
    this.env = {
      file: opts.from.file,
      checksum: "none",
      postHeader: (type, fallback) => postHeaderLength(this.fde?.details ?? null, type, fallback),
      scope: this.scope,
      session,
      flavor: opts.flavor ?? conn.flavor,
      conn,
      chunkRaw: Math.min(MiB, Math.floor(((this.batchBytes - 1024) * 3) / 4)),
      maxStatement: conn.maxAllowedPacket - 1024,
      skipped: (reason, what, ev) => this.noteSkipped(reason, what, ev),
    };
    this.batcher = new Batcher(conn, this.batchBytes, (t) => {
      this.committed++;
      this.lastCommitted = t;
    });
  }

  async run(): Promise<ReplayResult> {
    const t0 = performance.now();
    const { sources, from } = this.opts;
    try {
      for (let i = 0; i < sources.length && !this.stopped; i++) {
        const src = sources[i]!;
        this.env.file = src.file;
        this.fde = null;
        const stream = await src.open();
        let first = true;
        for await (const ev of readEvents(stream, { fileName: src.file })) {
          if (first) {
            first = false;
            // archived from mid-file: the file's own FORMAT_DESCRIPTION was never archived
            if (ev.header.type !== EventType.FORMAT_DESCRIPTION) await this.borrowFde(src);
          }
          if (src.file === from.file && ev.position < from.position) {
            if (ev.header.type === EventType.FORMAT_DESCRIPTION) this.onFde(ev);
            continue;
          }
          this.events++;
          this.bytes += ev.raw.length;
          this.readUpTo = { file: src.file, position: ev.endPosition };
          if (ev.header.timestamp) this.lastEventTs = ev.header.timestamp;
          const p = this.onEvent(ev);
          if (p) await p;
          if (this.stopped) break;
          if ((this.events & 255) === 0) this.report(src.file, ev);
        }
        if (this.cur && !this.stopped) await this.cutOff(i === sources.length - 1);
      }
      await this.batcher.drain();
    } catch (e) {
      throw await this.failed(e);
    }
    this.stop.checkEnd(this.readUpTo, this.lastEventTs, (m) => this.ctx.log("info", m));
    const notSeen = [...this.skipGtids].filter((g) => !this.skippedAsAsked.includes(g));
    if (notSeen.length) {
      throw new DomainError("PRECONDITION", `The transaction to skip (GTID ${notSeen.join(", ")}) was not among the replayed binlogs (from ${formatPos(from)} to ${this.readUpTo ? formatPos(this.readUpTo) : "their start"}): it is older than the base backup or after the target, so the restore is not what was asked. Drop the databases it restored and choose a base backup older than that transaction.`);
    }
    if (this.skippedStatements > SKIP_LOG_LIMIT) this.ctx.log("info", `Skipped ${this.skippedStatements} statements of databases not being restored in all (the first ${SKIP_LOG_LIMIT} are listed above).`);
    const ms = performance.now() - t0;
    const last = this.lastIncluded;
    const result: ReplayResult = {
      transactions: this.committed,
      skippedTransactions: this.skippedTrx,
      statements: this.batcher.statements,
      events: this.events,
      bytes: this.bytes,
      roundTrips: this.conn.roundTrips,
      stoppedBy: this.stoppedBy,
      position: last ? { file: last.file, position: last.endPosition } : { ...from },
      lastGtid: last?.gtid ?? null,
      gtidState: this.gtidState,
      lastCommitAt: last ? new Date(last.commitTimestamp * 1000).toISOString() : null,
      incompleteTail: this.incompleteTail,
      binlogDisabled: this.conn.binlogDisabled,
      ms: Math.round(ms),
      mbPerSecond: Math.round((this.bytes / MiB / Math.max(ms / 1000, 0.001)) * 100) / 100,
    };
    this.report(result.position.file, null, true);
    return result;
  }

  // ---------------------------------------------------------------- events

  private onEvent(ev: BinlogEvent): Promise<void> | void {
    const type = ev.header.type;
    if (type === EventType.FORMAT_DESCRIPTION) return this.onFde(ev);
    if (IGNORED.has(type)) return;
    if (this.skipping && this.passOver(ev)) return;
    if (type === EventType.MARIADB_GTID) {
      const d = ev.details;
      if (d?.kind !== "mariadb_gtid") throw this.unreadable(ev);
      if (d.xa) throw this.unsupported(ev, "an XA transaction (XA PREPARE/COMMIT)", "XA transactions cannot be replayed yet; stop before it");
      return this.begin(ev, { gtid: `${d.domain}-${d.server}-${d.seq}`, begun: !d.standalone, standalone: d.standalone });
    }
    if (type === EventType.MYSQL_GTID || type === EventType.MYSQL_ANONYMOUS_GTID) {
      const d = ev.details;
      if (d?.kind !== "mysql_gtid") throw this.unreadable(ev);
      return this.begin(ev, { gtid: d.anonymous ? undefined : d.gtid, begun: false, standalone: false });
    }
    if (type === EventType.QUERY || type === EventType.QUERY_COMPRESSED) return this.onQuery(ev, type === EventType.QUERY_COMPRESSED);
    if (type === EventType.TABLE_MAP) {
      this.need(ev).tableMap(ev);
      return this.maybeStream();
    }
    if (ROWS_EVENT_TYPES.has(type)) {
      this.need(ev).rows(ev);
      return this.maybeStream();
    }
    if (VARIABLES.has(type)) return this.need(ev).variable(ev);
    if (type === EventType.XID) return this.finish(ev, "COMMIT");
    if (type === EventType.XA_PREPARE) throw this.unsupported(ev, "XA PREPARE", "XA transactions cannot be replayed yet; stop before it");
    if (type === EventType.START_ENCRYPTION) throw this.unsupported(ev, "binlog encryption", "the archived file is encrypted by the server (encrypt_binlog); replay needs plain binlogs");
    if (type === EventType.INCIDENT) {
      throw new DomainError("PRECONDITION", `${this.at(ev)}: the source recorded an incident here (events were lost on the source, e.g. a failed write to its binlog). Replay cannot be exact past it: restore to a point before ${formatPos({ file: this.env.file, position: ev.position })}.`);
    }
    if (LOAD_DATA.has(type)) throw this.unsupported(ev, "LOAD DATA logged in statement format", "use binlog_format=ROW on the source, or stop before it");
    if (type === EventType.TRANSACTION_PAYLOAD) throw this.unsupported(ev, "a compressed transaction (binlog_transaction_compression)", "turn binlog_transaction_compression off on the source for point-in-time recovery");
    if (ev.header.flags & LOG_EVENT_IGNORABLE) return;
    throw this.unsupported(ev, `event type ${ev.typeName}`, "this server writes events replay does not know");
  }

  /** While skipping a transaction: whether this event belongs to it (and is dropped). */
  private passOver(ev: BinlogEvent): boolean {
    const s = this.skipping!;
    const type = ev.header.type;
    if (type === EventType.MARIADB_GTID || type === EventType.MYSQL_GTID || type === EventType.MYSQL_ANONYMOUS_GTID) {
      this.skipping = null; // the next transaction: the skipped one ended without a commit event (a standalone statement)
      return false;
    }
    if (type === EventType.XID) {
      this.skipping = null;
      return true;
    }
    if (type === EventType.QUERY && ev.details?.kind === "query") {
      const text = ev.details.sql.trim();
      if (/^BEGIN$/i.test(text)) s.begun = true;
      else if (!s.begun || /^(COMMIT|ROLLBACK)$/i.test(text)) this.skipping = null;
    }
    return true;
  }

  private onFde(ev: BinlogEvent) {
    const d = ev.details;
    if (d?.kind !== "format_description") throw this.unreadable(ev);
    this.fde = { raw: fdeForReplay(ev.raw), details: d };
    this.env.checksum = d.checksum as ChecksumAlg;
    this.fdeSentFor = null;
  }

  private async borrowFde(src: ReplaySource) {
    if (!src.formatDescription) {
      throw new DomainError("PRECONDITION", `${src.file} is read from the middle, and no format description event was given for it: replay cannot send its row events.`);
    }
    const raw = await src.formatDescription();
    const d = decodeFormatDescription(raw);
    this.fde = { raw: fdeForReplay(raw), details: d };
    this.env.checksum = d.checksum;
    this.fdeSentFor = null;
    this.ctx.log("info", `${src.file} is archived from the middle (the archiver started there); using the format description of another file of the same server (${d.serverVersion}).`);
  }

  private onQuery(ev: BinlogEvent, compressed: boolean): Promise<void> | void {
    let d: QueryDetails;
    if (compressed) {
      const end = ev.raw.length - (this.env.checksum === "crc32" ? CHECKSUM_LENGTH : 0);
      d = decodeQuery(new ByteReader(ev.raw, HEADER_LENGTH, end), this.env.postHeader(ev.header.type, 13));
    } else {
      if (ev.details?.kind !== "query") throw this.unreadable(ev);
      d = ev.details;
    }
    const text = compressed ? "" : d.sql.trim();
    if (/^BEGIN$/i.test(text)) {
      if (this.cur && !this.cur.hasContent && !this.cur.standalone) {
        this.cur.begun = true; // MySQL (and old MariaDB): GTID, then BEGIN
        return;
      }
      if (this.cur) throw this.damaged(ev, `BEGIN inside the transaction that started at ${this.cur.ref.startPosition}`);
      return this.begin(ev, { begun: true, standalone: false });
    }
    if (this.cur?.begun && /^(COMMIT|ROLLBACK)$/i.test(text)) return this.finish(ev, text.toUpperCase() as "COMMIT" | "ROLLBACK");
    if (/^XA\s/i.test(text)) throw this.unsupported(ev, "an XA transaction", "XA transactions cannot be replayed yet; stop before it");
    if (this.cur?.begun && /^(SAVEPOINT\s|ROLLBACK\s+(WORK\s+)?TO\s|RELEASE\s+SAVEPOINT\s)/i.test(text)) return this.cur.verbatim(ev, text);
    const started = this.cur ? undefined : this.begin(ev, { begun: false, standalone: true });
    if (started) return started.then(() => this.statement(ev, d, compressed));
    return this.statement(ev, d, compressed);
  }

  private statement(ev: BinlogEvent, d: QueryDetails, compressed: boolean): Promise<void> | void {
    if (this.stopped || !this.cur) return;
    this.cur.query(ev, d, compressed);
    if (!this.cur.begun) return this.finish(ev, null);
    return this.maybeStream();
  }

  // ---------------------------------------------------------------- transactions

  private begin(ev: BinlogEvent, opts: { gtid?: string; begun: boolean; standalone: boolean }): Promise<void> | undefined {
    if (this.cur) throw this.damaged(ev, `a new transaction starts before the one at ${this.cur.ref.startPosition} committed`);
    if (this.stop.stopsBefore({ file: this.env.file, position: ev.position }, opts.gtid)) {
      this.halt();
      return;
    }
    if (this.ctx.signal.aborted) throw new Cancelled();
    if (opts.gtid && this.skipGtids.has(opts.gtid)) {
      this.skipping = { gtid: opts.gtid, begun: opts.begun };
      this.skippedAsAsked.push(opts.gtid);
      this.ctx.log("info", `Skipped the transaction at ${formatPos({ file: this.env.file, position: ev.position })} (GTID ${opts.gtid}), as asked; replay goes on after it.`);
      return;
    }
    this.cur = new PendingTransaction(this.env, ++this.seq, ev, opts);
    return;
  }

  private async finish(ev: BinlogEvent, endSql: "COMMIT" | "ROLLBACK" | null): Promise<void> {
    const t = this.cur;
    if (!t) throw this.damaged(ev, `${ev.typeName} without a transaction before it`);
    this.cur = null;
    const bounds: TrxBounds = { file: this.env.file, startPosition: t.ref.startPosition, endPosition: ev.endPosition, gtid: t.ref.gtid, commitTimestamp: ev.header.timestamp };
    const include = this.stop.includes(bounds);
    if (t.streaming) {
      const rest = t.finish(ev, include ? endSql : "ROLLBACK");
      if (!include) rest[rest.length - 1]!.commits = false;
      await this.batcher.add(rest);
      if (!include) {
        await this.batcher.drain();
        const warnings = await this.conn.warnings();
        if (warnings.length) {
          throw new DomainError(
            "PRECONDITION",
            `The transaction at ${formatPos({ file: bounds.file, position: bounds.startPosition })} commits after the target, so it was rolled back, but the rollback was incomplete (${warnings.join("; ")}): it changed non-transactional tables. The target is not exact; restore again to a point before ${formatPos({ file: bounds.file, position: bounds.startPosition })}.`,
          );
        }
        this.halt();
        return;
      }
      this.included(bounds);
      return;
    }
    if (!include) {
      this.halt();
      return;
    }
    const stmts = t.finish(ev, endSql);
    if (!stmts.length) this.skippedTrx++;
    else {
      if (t.hasRows) this.prependFde(stmts);
      await this.batcher.add(stmts);
    }
    this.included(bounds);
  }

  private included(b: TrxBounds) {
    this.lastIncluded = b;
    this.stop.afterApplied(b);
    if (b.gtid) this.gtidState = advanceGtid(this.gtidState, b.gtid);
    if (this.stop.reached) this.halt();
  }

  /** A huge transaction: send what it has so far inside an open transaction, decide at its end. */
  private maybeStream(): Promise<void> | void {
    const t = this.cur;
    if (!t || !t.begun) return;
    if (!t.streaming) {
      if (t.pendingBytes < this.streamThreshold) return;
      t.streaming = true;
      this.ctx.log("info", `The transaction at ${formatPos({ file: this.env.file, position: t.ref.startPosition })}${t.ref.gtid ? ` (GTID ${t.ref.gtid})` : ""} is larger than ${formatBytes(this.streamThreshold)}: it is sent into an open transaction and committed (or rolled back, if it ends past the target) when its end is read.`);
      const first = [t.beginStatement(), ...t.takeStatements()];
      this.prependFde(first);
      return this.batcher.add(first);
    }
    if (t.pendingBytes >= this.batchBytes) return this.batcher.add(t.takeStatements());
  }

  private prependFde(stmts: Stmt[]) {
    if (this.fdeSentFor === this.env.file || !this.fde) return;
    this.fdeSentFor = this.env.file;
    stmts.unshift({
      sql: Buffer.from(`BINLOG '${this.fde.raw.toString("base64")}'`, "latin1"),
      kind: "fde",
      label: `format description of ${this.env.file}`,
      file: this.env.file,
      position: 4,
      trx: null,
    });
  }

  /** The binlog file ends inside a transaction. */
  private async cutOff(last: boolean) {
    const t = this.cur!;
    this.cur = null;
    const start = formatPos({ file: this.env.file, position: t.ref.startPosition });
    if (t.streaming) {
      await this.batcher.add([{ sql: Buffer.from("ROLLBACK"), kind: "rollback", label: "ROLLBACK", file: this.env.file, position: t.ref.startPosition, trx: t.ref }]);
      await this.batcher.drain();
    }
    if (last) {
      this.incompleteTail = { file: this.env.file, position: t.ref.startPosition };
      this.ctx.log("info", `The archived binlogs end inside the transaction at ${start}; it is not applied (its commit was not archived yet).`);
    } else {
      this.ctx.log("warn", `${this.env.file} ends inside the transaction at ${start} (the server stopped while writing it, so it never committed); it is not applied.`);
    }
  }

  private halt() {
    this.stopped = true;
    this.stoppedBy = "target";
  }

  private need(ev: BinlogEvent): PendingTransaction {
    if (!this.cur) throw this.damaged(ev, `${ev.typeName} outside a transaction`);
    return this.cur;
  }

  private noteSkipped(reason: string, what: string, ev: BinlogEvent) {
    this.skippedStatements++;
    if (this.skippedStatements <= SKIP_LOG_LIMIT) this.ctx.log("info", `Skipped ${formatPos({ file: this.env.file, position: ev.position })}: ${what} (${reason}).`);
  }

  // ---------------------------------------------------------------- progress and errors

  private report(file: string, ev: BinlogEvent | null, force = false) {
    const now = Date.now();
    if (!force && now - this.lastProgress < 200) return;
    this.lastProgress = now;
    const at = ev ? `${file}:${ev.endPosition}` : file;
    const when = this.lastEventTs ? new Date(this.lastEventTs * 1000).toISOString().replace(".000Z", "Z") : "—";
    this.ctx.progress({
      phase: this.phase,
      bytesDone: this.bytes,
      ...(this.opts.bytesTotal ? { bytesTotal: this.opts.bytesTotal } : {}),
      rowsDone: this.committed,
      detail: `${at} · event time ${when} · ${this.events} events · ${this.committed} transactions applied${this.skippedTrx ? `, ${this.skippedTrx} skipped` : ""}`,
    });
  }

  private at(ev: BinlogEvent) {
    return where(this.env.file, ev, this.cur?.ref.gtid);
  }

  private unreadable(ev: BinlogEvent) {
    return unreadable(this.at(ev), ev);
  }

  private damaged(ev: BinlogEvent, what: string) {
    return damaged(this.at(ev), what);
  }

  private unsupported(ev: BinlogEvent, what: string, hint: string) {
    return unsupported(this.at(ev), { file: this.env.file, position: ev.position }, what, hint);
  }

  /** Ends a failed replay cleanly (no transaction left open) and says exactly where it stopped. */
  private async failed(e: unknown): Promise<unknown> {
    await this.batcher.wait().catch((inflight) => {
      if (!(e instanceof StatementFailure)) e = inflight;
    });
    if (!(e instanceof StatementFailure) && !(e instanceof Cancelled)) {
      // a problem found while reading: apply what was read before it, so the target stops right there
      await this.batcher.drain().catch((earlier) => {
        if (earlier instanceof StatementFailure) e = earlier;
      });
    }
    await this.conn.rollbackQuietly();
    const applied = appliedUpTo(this.committed, this.lastCommitted);
    if (e instanceof Cancelled) {
      this.ctx.log("warn", `Replay cancelled between transactions: ${applied}.`);
      return this.ctx.signal.reason ?? new Error("cancelled");
    }
    return replayError(e, this.conn, applied);
  }
}
