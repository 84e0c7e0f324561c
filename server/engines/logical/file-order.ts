import { PassThrough } from "node:stream";
import type { Statement } from "./insert-writer";
import { waitDrain } from "./streams";
import type { ChunkSink, TableJob } from "./table-job";

const CHUNK_BUFFER = 4 << 20;

type TableChunks = { chunks: PassThrough[]; complete: boolean };

/**
 * Chunks dumped in parallel, written to one SQL file in key order. Each chunk buffers at most
 * CHUNK_BUFFER bytes before its worker pauses the server, and at most `window` chunks exist that
 * the file has not taken yet; the chunk the file needs next is always allowed, so the file always
 * moves. Memory stays below window x CHUNK_BUFFER.
 */
export class OrderedChunks {
  private readonly tables = new Map<TableJob, TableChunks>();
  private pending = 0;
  private next: { job: TableJob; chunk: number } | null = null;
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;

  constructor(private readonly window: number) {}

  private entry(job: TableJob): TableChunks {
    let t = this.tables.get(job);
    if (!t) this.tables.set(job, (t = { chunks: [], complete: false }));
    return t;
  }

  private notify() {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  private async changed() {
    if (this.failure) throw this.failure;
    await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
  }

  fail(e: Error) {
    this.failure = e;
    for (const t of this.tables.values()) for (const c of t.chunks) c.destroy(e);
    this.notify();
  }

  async sink(job: TableJob, chunk: number): Promise<ChunkSink> {
    while (this.pending >= this.window && !(this.next?.job === job && this.next.chunk === chunk)) await this.changed();
    const pass = new PassThrough({ highWaterMark: CHUNK_BUFFER });
    // a chunk the file has not reached yet has no reader: when the dump fails it is destroyed with
    // the failure, which the session already reports, so its 'error' must not go unhandled
    pass.on("error", () => undefined);
    this.entry(job).chunks[chunk] = pass;
    this.pending++;
    this.notify();
    return {
      write: (s: Statement) => {
        let ok = true;
        for (const p of s.parts) ok = pass.write(p);
        return ok;
      },
      drained: () => waitDrain(pass),
      end: async () => {
        pass.end();
      },
      abort: (e: Error) => pass.destroy(e),
    };
  }

  complete(job: TableJob) {
    this.entry(job).complete = true;
    this.notify();
  }

  /** Feeds a table's chunks, in order, to `write`, until the table is complete. */
  async drain(job: TableJob, write: (b: Buffer) => Promise<void>) {
    const t = this.entry(job);
    for (let i = 0; ; i++) {
      this.next = { job, chunk: i };
      this.notify();
      while (!t.chunks[i] && !(t.complete && i >= t.chunks.length)) await this.changed();
      const c = t.chunks[i];
      if (!c) break;
      for await (const b of c) await write(b as Buffer);
      delete t.chunks[i];
      this.pending--;
      this.notify();
    }
    this.next = null;
  }
}
