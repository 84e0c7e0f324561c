import crypto from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** Passes bytes through, counting them and hashing them (sha256) on the way. */
export class HashCounter extends Transform {
  private readonly hash = crypto.createHash("sha256");
  bytes = 0;
  private digestHex: string | null = null;
  constructor() {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  /** The hex digest; only after the stream ended. */
  get sha256(): string {
    return (this.digestHex ??= this.hash.digest("hex"));
  }
}

/** Counts bytes that pass through (e.g. raw bytes before compression). */
export class Counter extends Transform {
  bytes = 0;
  constructor(private readonly onBytes?: (n: number) => void) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    cb(null, chunk);
  }
}
