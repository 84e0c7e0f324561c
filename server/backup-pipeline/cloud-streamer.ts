import crypto from "node:crypto";
import { Writable } from "node:stream";
import { DomainError } from "../errors";
import type { ObjectUpload } from "../storage/object-store";
import { S3Store, type S3Location } from "../storage/s3-store";

export type CloudStreamerConfig = {
  bucket: string;
  /** object key, e.g. "backups/db.tar.gz" */
  key: string;
  region?: string;
  /** S3-compatible endpoint (MinIO, Ceph, ...); path-style addressing is used with one */
  endpoint?: string;
  pathStyle?: boolean;
  /** bytes per part (at least 5 MiB; default 10 MiB) */
  partSize?: number;
  /** parts uploaded in parallel (default 4) */
  workers?: number;
  /** server-side encryption */
  sse?: "none" | "AES256" | "aws:kms";
  kmsKeyId?: string;
  /** default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the SDK's usual chain */
  accessKeyId?: string;
  secretAccessKey?: string;
};

/**
 * The seed's "parallel cloud streamer": a Writable whose bytes go straight to one S3 object by
 * parallel multipart upload (parts of partSize, `workers` in flight, each sent with its SHA-256
 * and retried with backoff); nothing is staged on local disk and memory stays under
 * partSize x (workers + 1). Writes wait while all workers are busy, so a producer piped into it
 * is slowed to the upload rate.
 *
 *   const s = new CloudStreamer({ bucket, key, partSize: 20 << 20, workers: 8 });
 *   s.start();
 *   await pipeline(source, s);
 *   const { location, size, sha256 } = await s.complete();
 *
 * `abort()` (or a failed pipeline) aborts the multipart upload: no parts are left behind.
 */
export class CloudStreamer extends Writable {
  private upload: ObjectUpload | null = null;
  private readonly store: S3Store;
  private readonly hash = crypto.createHash("sha256");
  private bytes = 0;
  private result: Promise<{ location: string; size: number; sha256: string }> | null = null;

  constructor(readonly config: CloudStreamerConfig) {
    super({ highWaterMark: 1 << 20 });
    const loc: S3Location = {
      bucket: config.bucket,
      region: config.region ?? process.env.AWS_REGION ?? "us-east-1",
      endpoint: config.endpoint ?? null,
      forcePathStyle: config.pathStyle ?? !!config.endpoint,
      accessKeyId: config.accessKeyId ?? process.env.AWS_ACCESS_KEY_ID ?? null,
      secretAccessKey: config.secretAccessKey ?? process.env.AWS_SECRET_ACCESS_KEY ?? null,
      sse: config.sse ?? "none",
      kmsKeyId: config.kmsKeyId ?? null,
      partSize: config.partSize,
      workers: config.workers,
    };
    this.store = new S3Store(loc);
  }

  /** Where the object goes: s3://bucket/key. */
  get location(): string {
    return this.store.describe(this.config.key);
  }

  /** Opens the upload. Writing before start() starts it implicitly. */
  start(): this {
    if (!this.upload) {
      this.upload = this.store.upload(this.config.key, { partSize: this.config.partSize, workers: this.config.workers });
      this.upload.stream.on("error", (e) => this.destroy(e));
    }
    return this;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void) {
    const u = this.start().upload!;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    // the callback fires once the part buffer accepted the chunk, i.e. after a worker freed up
    u.stream.write(chunk, (e) => cb(e ?? null));
  }

  override _final(cb: (e?: Error | null) => void) {
    const u = this.start().upload!;
    u.stream.end();
    u.done.then(
      () => cb(),
      (e) => cb(e as Error),
    );
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void) {
    if (err && this.upload) void this.upload.abort(err).catch(() => undefined);
    cb(err);
  }

  /** Ends the stream (if not ended yet) and waits for S3 to assemble the object. */
  complete(): Promise<{ location: string; size: number; sha256: string }> {
    this.result ??= new Promise((resolve, reject) => {
      const u = this.start().upload!;
      const finish = () =>
        u.done.then(({ size }) => {
          if (size !== this.bytes) throw new DomainError("INTERNAL", `${this.location}: ${this.bytes} bytes written but ${size} uploaded.`);
          return { location: this.location, size, sha256: this.hash.digest("hex") };
        });
      if (this.writableFinished) finish().then(resolve, reject);
      else {
        this.once("error", reject);
        this.once("finish", () => finish().then(resolve, reject));
        if (!this.writableEnded) this.end();
      }
    });
    return this.result;
  }

  /** Aborts the multipart upload; nothing of the object remains. */
  async abort(reason?: unknown): Promise<void> {
    const u = this.upload;
    this.destroy();
    if (u) await u.abort(reason).catch(() => undefined);
  }
}
