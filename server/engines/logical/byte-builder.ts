/** A growable byte buffer for building statements without intermediate strings. */
export class ByteBuilder {
  buf: Buffer;
  len = 0;
  constructor(capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(capacity);
  }
  /** Makes room for n more bytes. */
  ensure(n: number) {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  byte(c: number) {
    if (this.len >= this.buf.length) this.ensure(1);
    this.buf[this.len++] = c;
  }
  /** ASCII text (identifiers and keywords are written with `bytes`). */
  ascii(s: string) {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.len++] = s.charCodeAt(i);
  }
  bytes(b: Buffer) {
    const n = b.length;
    this.ensure(n);
    if (n < 32) {
      const out = this.buf;
      let p = this.len;
      for (let i = 0; i < n; i++) out[p++] = b[i]!;
      this.len = p;
    } else {
      b.copy(this.buf, this.len);
      this.len += n;
    }
  }
  /** Hands out the content and starts over with a fresh buffer of the same capacity. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.len = 0;
    return out;
  }
}
