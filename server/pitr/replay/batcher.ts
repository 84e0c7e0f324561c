import type { ReplayConnection } from "./apply-connection";

/** A transaction as replay tracks it; its end is filled in when its commit event is read. */
export type TrxRef = {
  seq: number;
  file: string;
  startPosition: number;
  endPosition: number;
  gtid?: string;
  commitTimestamp: number;
};

/** One statement sent to the target, with what a DBA needs to hear if it fails. */
export type Stmt = {
  sql: Buffer;
  kind: "context" | "fde" | "begin" | "commit" | "rollback" | "rows" | "query" | "var";
  /** "ALTER TABLE ...", "row events for shop.t" */
  label: string;
  file: string;
  /** the binlog event it came from */
  position: number;
  trx: TrxRef | null;
  /** running it commits `trx` (COMMIT, or a statement that commits by itself) */
  commits?: boolean;
  /** the batch ends after it (the client character set changed, or an error is expected) */
  endsBatch?: boolean;
  /** the source logged the statement with this error (it failed there after changing non-transactional data) */
  expectedErrno?: number;
};

export class StatementFailure extends Error {
  constructor(
    readonly stmt: Stmt,
    readonly serverError: Error & { errno?: number; code?: string },
    readonly protocol: boolean,
  ) {
    super(serverError.message);
  }
}

/**
 * Packs statements into round trips of at most `limit` bytes and keeps one round trip in flight
 * while the next is being built, so reading and decoding binlogs overlaps with the server applying
 * them. A batch may end in the middle of a transaction (the transaction stays open on the session
 * until its COMMIT arrives in the next batch); the caller only stops between transactions.
 */
export class Batcher {
  private cur: Stmt[] = [];
  private curBytes = 0;
  private inflight: Promise<void> | null = null;
  private failure: unknown = null;
  statements = 0;

  constructor(
    private readonly conn: ReplayConnection,
    private readonly limit: number,
    private readonly onCommitted: (t: TrxRef) => void,
  ) {}

  get pendingBytes() {
    return this.curBytes;
  }

  async add(stmts: Stmt[]): Promise<void> {
    for (const s of stmts) {
      if (this.cur.length && this.curBytes + s.sql.length + 3 > this.limit) await this.send();
      this.cur.push(s);
      this.curBytes += s.sql.length + 3;
      if (s.endsBatch) await this.send();
    }
  }

  /** Sends what is batched (after the round trip in flight has finished). */
  async send(): Promise<void> {
    const batch = this.cur;
    this.cur = [];
    this.curBytes = 0;
    await this.wait();
    if (!batch.length) return;
    this.inflight = this.execute(batch).catch((e) => {
      this.failure = e;
    });
  }

  /** Waits for the round trip in flight; throws its failure. */
  async wait(): Promise<void> {
    const p = this.inflight;
    this.inflight = null;
    if (p) await p;
    if (this.failure) {
      const f = this.failure;
      this.failure = null;
      throw f;
    }
  }

  /** Sends everything and waits for it. */
  async drain(): Promise<void> {
    await this.send();
    await this.wait();
  }

  private async execute(batch: Stmt[]): Promise<void> {
    const out = await this.conn.exec(batch.map((s) => s.sql));
    const done = out.error ? out.completed : batch.length;
    for (let i = 0; i < done; i++) this.completed(batch[i]!);
    if (!out.error) return;
    const failed = batch[out.completed];
    if (failed && !out.protocolError && failed.expectedErrno !== undefined && failed.expectedErrno === out.error.errno) {
      // the same error the source had: the statement did what it did there (it ends its batch)
      this.completed(failed);
      if (out.completed + 1 < batch.length) await this.execute(batch.slice(out.completed + 1));
      return;
    }
    throw new StatementFailure(failed ?? batch[batch.length - 1]!, out.error, !!out.protocolError);
  }

  private completed(s: Stmt) {
    this.statements++;
    if (s.commits && s.trx) this.onCommitted(s.trx);
  }
}
