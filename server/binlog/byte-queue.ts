/** Chunks from a stream, consumed from the front in exact sizes without concatenating everything. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0; // offset into chunks[0]
  length = 0;

  push(b: Buffer) {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  /** Copies the first n bytes without consuming them (n must be <= length). */
  peek(n: number): Buffer {
    return this.read(n, false);
  }

  /** Removes and returns the first n bytes (n must be <= length). */
  take(n: number): Buffer {
    return this.read(n, true);
  }

  private read(n: number, consume: boolean): Buffer {
    if (n > this.length) throw new RangeError(`ByteQueue: ${n} bytes requested, ${this.length} buffered`);
    const first = this.chunks[0];
    let out: Buffer;
    if (first && first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      if (consume) {
        this.head += n;
        if (this.head === first.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let copied = 0;
      let i = 0;
      let off = this.head;
      while (copied < n) {
        const c = this.chunks[i]!;
        const k = Math.min(n - copied, c.length - off);
        c.copy(out, copied, off, off + k);
        copied += k;
        if (off + k === c.length) {
          i++;
          off = 0;
        } else off += k;
      }
      if (consume) {
        this.chunks.splice(0, i);
        this.head = off;
      }
    }
    if (consume) this.length -= n;
    return out;
  }
}
