/** A cursor over an event body; every read is bounds-checked so a malformed event throws, never misreads. */
export class ByteReader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  get remaining() {
    return this.end - this.pos;
  }

  private need(n: number) {
    if (this.pos + n > this.end) throw new RangeError(`event body too short: need ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
  }
  u8() {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16() {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u24() {
    this.need(3);
    const v = this.buf.readUIntLE(this.pos, 3);
    this.pos += 3;
    return v;
  }
  u32() {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  /** 6-byte unsigned (table ids). */
  u48() {
    this.need(6);
    const v = this.buf.readUIntLE(this.pos, 6);
    this.pos += 6;
    return v;
  }
  u64() {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  /** Unsigned little-endian integer of n (<= 6) bytes. */
  uint(n: number) {
    if (n === 0) return 0;
    this.need(n);
    const v = this.buf.readUIntLE(this.pos, n);
    this.pos += n;
    return v;
  }
  /** MySQL length-encoded integer. */
  lenenc(): number {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.u16();
    if (first === 0xfd) return this.u24();
    if (first === 0xfe) return Number(this.u64());
    throw new RangeError(`invalid length-encoded integer prefix 0x${first.toString(16)} at offset ${this.pos - 1}`);
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  skip(n: number) {
    this.need(n);
    this.pos += n;
  }
  str(n: number, enc: BufferEncoding = "utf8") {
    return this.bytes(n).toString(enc);
  }
  /** The rest of the body. */
  rest(): Buffer {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }
  /** Up to (not including) the next NUL, consuming the NUL. */
  cstr(): string {
    const i = this.buf.indexOf(0, this.pos);
    if (i < 0 || i >= this.end) throw new RangeError(`unterminated string at offset ${this.pos}`);
    const s = this.buf.toString("utf8", this.pos, i);
    this.pos = i + 1;
    return s;
  }
}
