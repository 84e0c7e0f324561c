import type mysql from "mysql2/promise";
import type { TableFingerprint } from "../../artifact/manifest";
import { combineSegments, floorDiv, MultisetSum, SegmentDigests, Segmenter, segmentWidth } from "./fingerprint-state";
import { insertHeader, InsertWriter, type Row, type RowFingerprint, type Statement } from "./insert-writer";
import type { TableInfo } from "./inventory";
import { textRows } from "./meta-query";
import { streamRows } from "./row-stream";
import { qualified, quoteIdent } from "./sql-text";
import type { Task } from "./task-queue";
import { keyLiteral, selectExpr, type DumpColumn } from "./value-encoder";

/** Where a chunk's statements go: backup-set objects, or the single SQL file in order. */
export type ChunkSink = {
  /** false: wait for drained() before writing more */
  write(s: Statement): boolean;
  drained(): Promise<void>;
  /** the chunk is complete; resolves when its bytes are handed on */
  end(): Promise<void>;
  abort(e: Error): void;
};

export type TableJobHooks = {
  sink(job: TableJob, chunk: number): Promise<ChunkSink>;
  onStatement(job: TableJob, s: Statement): void;
  onComplete(job: TableJob): void;
  /** queue tasks that follow (front: before anything queued) */
  queue(tasks: Task[]): void;
  chunkRows(info: TableInfo): number;
  statementBytes: number;
  /** chunks to expect at most for a table (manifest numbering keeps up to 99999) */
  maxChunks: number;
};

/** The SELECT parts and fingerprint of one table, shared by the dump and fingerprintTable. */
export class TableReader {
  readonly columns: DumpColumn[];
  readonly selectList: string;
  readonly from: string;
  readonly keyIdx: number[];
  readonly keyCols: DumpColumn[];
  readonly orderBy: string;
  constructor(readonly info: Pick<TableInfo, "db" | "name" | "columns" | "key" | "keyMode"> & { keyIndexName?: string | null }) {
    this.columns = info.columns;
    this.selectList = this.columns.map(selectExpr).join(", ");
    const force = info.keyIndexName ? ` FORCE INDEX (${quoteIdent(info.keyIndexName)})` : "";
    this.from = qualified(info.db, info.name) + force;
    this.keyIdx = info.key.map((k) => this.columns.findIndex((c) => c.name === k));
    this.keyCols = this.keyIdx.map((i) => this.columns[i]!);
    this.orderBy = info.keyMode === "scan" ? "" : ` ORDER BY ${info.key.map(quoteIdent).join(", ")}`;
  }
  select(where: string, limit?: number) {
    return `SELECT ${this.selectList} FROM ${this.from}${where ? ` WHERE ${where}` : ""}${this.orderBy}${limit ? ` LIMIT ${limit}` : ""}`;
  }
  /** rows after `last` in key order: (k1 > a) OR (k1 = a AND k2 > b) ... */
  after(last: Row): string {
    const lits = this.keyIdx.map((i, j) => keyLiteral(this.keyCols[j]!, last[i]!));
    const names = this.keyCols.map((c) => quoteIdent(c.name));
    const ors: string[] = [];
    for (let j = 0; j < names.length; j++) {
      const eq = names.slice(0, j).map((n, i) => `${n} = ${lits[i]}`);
      ors.push([...eq, `${names[j]} > ${lits[j]}`].join(" AND "));
    }
    return ors.length === 1 ? ors[0]! : ors.map((o) => `(${o})`).join(" OR ");
  }
  async minMax(conn: mysql.Connection): Promise<[bigint, bigint] | null> {
    const k = quoteIdent(this.keyCols[0]!.name);
    const r = await textRows(conn, `SELECT MIN(${k}), MAX(${k}) FROM ${qualified(this.info.db, this.info.name)}`);
    if (!r[0] || r[0][0] === null) return null;
    return [BigInt(r[0][0]!), BigInt(r[0][1]!)];
  }
}

/**
 * One table's dump: plans its chunks (in the snapshot), runs them on whichever worker is free, and
 * assembles the fingerprint from the chunks in key order.
 */
export class TableJob {
  readonly reader: TableReader;
  readonly header: Buffer;
  rows = 0;
  bytes = 0;
  fingerprint: TableFingerprint | null = null;
  private outstanding = 0;
  private planned = false;
  private readonly rangeDigests = new Map<number, Buffer[]>();
  private readonly sequential = new SegmentDigests();
  private readonly multiset = new MultisetSum();
  private width: bigint | null = null;
  private chunks = 0;
  completed = false;

  constructor(
    readonly info: TableInfo,
    readonly dbIndex: number,
    readonly tableIndex: number,
    /** position of this table in the work order (file order, or biggest first) */
    readonly rank: number,
    private readonly hooks: TableJobHooks,
  ) {
    this.reader = new TableReader(info);
    this.header = insertHeader(info.name, info.columns);
  }

  get label() {
    return `${quoteIdent(this.info.db)}.${quoteIdent(this.info.name)}`;
  }

  /** The first task(s); the rest are queued as planning and pages go. */
  start(): Task[] {
    const mode = this.info.keyMode;
    if (mode === "int-range") return [this.track({ label: `${this.label} (planning)`, order: [this.rank, -1], run: (c) => this.plan(c) })];
    if (mode === "keyset") return [this.track(this.pageTask(0, null))];
    return [this.track({ label: this.label, order: [this.rank, 0], run: (c) => this.single(c) })];
  }

  private track(t: Task): Task {
    this.outstanding++;
    return {
      label: t.label,
      order: t.order,
      run: async (c) => {
        await t.run(c);
        if (--this.outstanding === 0 && this.planned) this.complete();
      },
    };
  }

  private async plan(conn: mysql.Connection) {
    const mm = await this.reader.minMax(conn);
    if (!mm) {
      this.planned = true;
      return;
    }
    const [min, max] = mm;
    const w = segmentWidth(min, max);
    this.width = w;
    const segLo = floorDiv(min, w);
    const nseg = floorDiv(max, w) - segLo + 1n;
    const span = max - min + 1n;
    // a fresh table may have no statistics yet: then assume the key range is dense
    const est = this.info.estRows > 0 ? BigInt(this.info.estRows) : span;
    const per = BigInt(this.hooks.chunkRows(this.info));
    let n = (est + per - 1n) / per;
    if (n < 1n) n = 1n;
    if (n > nseg) n = nseg;
    if (n > BigInt(this.hooks.maxChunks)) n = BigInt(this.hooks.maxChunks);
    const bounds: bigint[] = [];
    for (let i = 1n; i < n; i++) bounds.push((segLo + (i * nseg) / n) * w);
    const k = quoteIdent(this.reader.keyCols[0]!.name);
    const tasks: Task[] = [];
    for (let i = 0; i <= bounds.length; i++) {
      const lo = i === 0 ? null : bounds[i - 1]!;
      const hi = i === bounds.length ? null : bounds[i]!;
      const where = [lo !== null ? `${k} >= ${lo}` : "", hi !== null ? `${k} < ${hi}` : ""].filter(Boolean).join(" AND ");
      const index = i;
      tasks.push(
        this.track({
          label: `${this.label} chunk ${i + 1}/${bounds.length + 1}`,
          order: [this.rank, i],
          run: async (c) => {
            const digests = new SegmentDigests();
            await this.runChunk(c, index, this.reader.select(where), { kind: "pk", digests, segmenter: new Segmenter(w), keyIndex: this.reader.keyIdx[0]! });
            digests.cut();
            this.rangeDigests.set(index, digests.digests);
          },
        }),
      );
    }
    this.chunks = tasks.length;
    this.planned = true;
    this.hooks.queue(tasks);
  }

  private pageTask(page: number, after: Row | null): Task {
    return {
      label: `${this.label} page ${page + 1}`,
      order: [this.rank, page],
      run: async (c) => {
        const limit = this.hooks.chunkRows(this.info);
        const { rows, last } = await this.runChunk(c, page, this.reader.select(after ? this.reader.after(after) : "", limit), { kind: "pk", digests: this.sequential, segmenter: null, keyIndex: -1 });
        if (rows === limit && last) {
          if (page + 1 < this.hooks.maxChunks) this.hooks.queue([this.track(this.pageTask(page + 1, last))]);
          else {
            // past the chunk limit: read the rest in one go
            this.planned = true;
            const fp: RowFingerprint = { kind: "pk", digests: this.sequential, segmenter: null, keyIndex: -1 };
            this.hooks.queue([this.track({ label: `${this.label} rest`, order: [this.rank, page + 1], run: async (c2) => void (await this.runChunk(c2, page + 1, this.reader.select(this.reader.after(last)), fp)) })]);
          }
        } else this.planned = true;
      },
    };
  }

  private async single(conn: mysql.Connection) {
    const fp: RowFingerprint = this.info.keyMode === "scan" ? { kind: "multiset", sum: this.multiset } : { kind: "pk", digests: this.sequential, segmenter: null, keyIndex: -1 };
    this.planned = true;
    await this.runChunk(conn, 0, this.reader.select(""), fp);
  }

  private async runChunk(conn: mysql.Connection, chunk: number, sql: string, fp: RowFingerprint): Promise<{ rows: number; last: Row | null }> {
    const sink = await this.hooks.sink(this, chunk);
    const writer = new InsertWriter(
      this.header,
      this.info.columns.map((c) => c.kind),
      this.hooks.statementBytes,
      fp,
      (s) => {
        this.rows += s.rows;
        this.bytes += s.bytes;
        this.hooks.onStatement(this, s);
        return sink.write(s);
      },
      this.reader.keyIdx,
    );
    try {
      await streamRows(conn, sql, writer, () => sink.drained());
      writer.flush();
      await sink.end();
    } catch (e) {
      sink.abort(e as Error);
      throw e;
    }
    const last = writer.lastKeys();
    return { rows: writer.rows, last };
  }

  private complete() {
    if (this.completed) return;
    this.completed = true;
    if (this.info.keyMode === "scan") {
      this.fingerprint = { method: "multiset-sha256", rows: this.rows, hash: this.multiset.hex() };
    } else if (this.info.keyMode === "int-range") {
      const all: Buffer[] = [];
      for (let i = 0; i < this.chunks; i++) all.push(...(this.rangeDigests.get(i) ?? []));
      this.fingerprint = { method: "pk-sha256", rows: this.rows, hash: combineSegments(all) };
    } else {
      this.sequential.cut();
      this.fingerprint = { method: "pk-sha256", rows: this.rows, hash: combineSegments(this.sequential.digests) };
    }
    this.hooks.onComplete(this);
  }

  /** for tests and logs: the bucket width used for integer keys */
  get segmentWidth() {
    return this.width;
  }
}
