import { once } from "node:events";
import type { BackupSetWriter } from "../../artifact/backup-set";
import type { ManifestObject } from "../../artifact/manifest";
import { clientCharset } from "./framing";
import type { Statement, Row } from "./insert-writer";
import { keyJson } from "./key-json";
import type { ChunkSink, TableJob } from "./table-job";

type Part = { o: ReturnType<BackupSetWriter["object"]>; rows: number; bytes: number; first: Row | null; last: Row | null };

export type DataEntry = { entry: ManifestObject; chunk: number; part: number };

/**
 * A chunk's statements as data objects of the backup set: d<db>/t<table>/c<chunk>-<part>.sql.
 * A chunk that grows past `maxObjectBytes` (estimates were off, or a keyless table) continues in a
 * new part, so objects stay a size that restores in parallel. Names hold indexes, never
 * identifiers; the manifest entry names the database and table.
 */
export class SetChunkSink implements ChunkSink {
  private cur: Part | null = null;
  private part = 0;
  private readonly done: Promise<unknown>[] = [];
  constructor(
    private readonly set: BackupSetWriter,
    private readonly job: TableJob,
    private readonly chunk: number,
    private readonly maxObjectBytes: number,
    private readonly entries: DataEntry[],
  ) {}

  write(s: Statement): boolean {
    if (!this.cur) this.open();
    const cur = this.cur!;
    let ok = true;
    for (const p of s.parts) ok = cur.o.input.write(p);
    cur.rows += s.rows;
    cur.bytes += s.bytes;
    cur.first ??= s.first;
    cur.last = s.last;
    if (cur.bytes >= this.maxObjectBytes) {
      this.close();
      return true;
    }
    return ok;
  }

  async drained(): Promise<void> {
    const input = this.cur?.o.input;
    if (input && input.writableNeedDrain && !input.destroyed) await once(input, "drain");
  }

  async end(): Promise<void> {
    this.close();
    await Promise.all(this.done);
  }

  abort(e: Error) {
    this.cur?.o.input.destroy(e);
    this.cur = null;
  }

  private open() {
    const { job } = this;
    const path = `d${job.dbIndex}/t${job.tableIndex}/c${String(this.chunk).padStart(5, "0")}-${String(this.part).padStart(3, "0")}.sql${this.set.extension}`;
    const o = this.set.object(path, { role: "data", database: job.info.db, table: job.info.name, rows: 0, chunk: 0 }, { threads: 1 });
    // replayable on its own too: `USE db` then this object through the stock client
    o.input.write(clientCharset("binary"));
    this.entries.push({ entry: o.entry, chunk: this.chunk, part: this.part });
    this.part++;
    this.cur = { o, rows: 0, bytes: 0, first: null, last: null };
  }

  private close() {
    const cur = this.cur;
    if (!cur) return;
    this.cur = null;
    cur.o.entry.rows = cur.rows;
    const keyIdx = this.job.reader.keyIdx;
    if (keyIdx.length && cur.first && cur.last) {
      cur.o.entry.lower = keyJson(cur.first, keyIdx);
      cur.o.entry.upper = keyJson(cur.last, keyIdx);
    }
    cur.o.input.end();
    this.done.push(cur.o.done);
  }
}

/** Numbers a table's data objects in key order (chunk, then part). */
export function numberChunks(entries: DataEntry[]) {
  entries.sort((a, b) => a.chunk - b.chunk || a.part - b.part);
  entries.forEach((e, i) => (e.entry.chunk = i));
}
