import crypto from "node:crypto";
import { Writable, type Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type ServerSideEncryption,
} from "@aws-sdk/client-s3";
import { DomainError } from "../errors";
import type { ObjectStore, ObjectUpload, StoredObject, WriteOptions } from "./object-store";
import { explainS3Error } from "./s3-errors";

/** The x-amz-checksum-sha256 of a body: S3 recomputes it and refuses the request on a mismatch. */
function sha256Base64(body: Buffer): string {
  return crypto.createHash("sha256").update(body).digest("base64");
}

export type S3Location = {
  endpoint?: string | null;
  region?: string | null;
  bucket: string;
  prefix?: string;
  forcePathStyle?: boolean;
  accessKeyId?: string | null;
  secretAccessKey?: string | null;
  sse?: "none" | "AES256" | "aws:kms";
  kmsKeyId?: string | null;
  partSize?: number;
  workers?: number;
};

export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10000;
const RETRIES = 5;

export function normalizePrefix(p: string | undefined | null): string {
  const s = (p ?? "").replace(/^\/+/, "");
  return s === "" || s.endsWith("/") ? s : s + "/";
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Retries S3 calls whose failure is retryable (network, 5xx, throttling), with exponential backoff. */
export async function withRetry<T>(what: string, fn: () => Promise<T>, attempts = RETRIES, baseMs = 200): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      const de = explainS3Error(e, what);
      if (!de.retryable || i === attempts - 1) throw de;
      await sleep(baseMs * 2 ** i + Math.random() * baseMs);
    }
  }
  throw explainS3Error(last, what);
}

/**
 * Part buffers (being filled or in flight) across every upload of one store: a backup writes
 * several objects at once, and together they stay within the workers. A released buffer is kept
 * for the next part, so a long upload reuses the same few buffers instead of leaving one
 * part-sized buffer per part for the garbage collector.
 */
class PartSlots {
  private used = 0;
  private most = 0;
  private waiting: (() => void)[] = [];
  private free: Buffer[] = [];
  /** Waits until fewer than `limit` (the upload's workers) part buffers of the store are taken. */
  async acquire(limit: number, size: number): Promise<Buffer> {
    while (this.used >= limit) await new Promise<void>((r) => this.waiting.push(r));
    this.used++;
    this.most = Math.max(this.most, limit);
    const i = this.free.findIndex((b) => b.length === size);
    return i >= 0 ? this.free.splice(i, 1)[0]! : Buffer.allocUnsafe(size);
  }
  /** Gives back a slot and its buffer (no longer read by anyone). */
  release(buf: Buffer) {
    this.used--;
    if (this.used + this.free.length < this.most) this.free.push(buf);
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }
  /** Buffers kept for reuse (for tests). */
  get pooled() {
    return this.free.length;
  }
}

export class S3Store implements ObjectStore {
  readonly kind = "s3" as const;
  readonly client: S3Client;
  readonly prefix: string;
  readonly slots = new PartSlots();
  constructor(readonly loc: S3Location) {
    this.prefix = normalizePrefix(loc.prefix);
    this.client = new S3Client({
      endpoint: loc.endpoint || undefined,
      region: loc.region || "us-east-1",
      forcePathStyle: loc.forcePathStyle ?? !!loc.endpoint,
      credentials:
        loc.accessKeyId && loc.secretAccessKey ? { accessKeyId: loc.accessKeyId, secretAccessKey: loc.secretAccessKey } : undefined,
      // We send our own SHA-256 per part; do not let the SDK add trailers some S3-compatible servers reject.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 1, // retries are ours (withRetry), so they are visible and bounded
    });
  }

  private k(key: string) {
    return this.prefix + key.replace(/^\/+/, "");
  }

  describe(key = "") {
    return `s3://${this.loc.bucket}/${this.k(key)}`;
  }

  private sseParams(): { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } {
    if (!this.loc.sse || this.loc.sse === "none") return {};
    return { ServerSideEncryption: this.loc.sse as ServerSideEncryption, ...(this.loc.sse === "aws:kms" && this.loc.kmsKeyId ? { SSEKMSKeyId: this.loc.kmsKeyId } : {}) };
  }

  async put(key: string, body: Buffer | string) {
    const buf = typeof body === "string" ? Buffer.from(body) : body;
    const sha = sha256Base64(buf);
    await withRetry(this.describe(key), () =>
      this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key: this.k(key), Body: buf, ChecksumSHA256: sha, ContentLength: buf.length, ...this.sseParams() })),
    );
  }

  /**
   * Streams an object by parallel multipart upload: parts of partSize bytes, each with its SHA-256
   * sent to S3 and retried with backoff. Objects smaller than one part are sent with a single PUT.
   * Any failure or abort aborts the multipart upload so no parts are left behind.
   *
   * Memory: a part being filled and a part in flight each take one of the store's `workers` slots
   * with its buffer, so all objects written at once through this store hold at most
   * workers x partSize bytes of parts. A writer waits for a slot (backpressure) before it buffers,
   * and copies what it is given straight into the part (one copy, nothing else held).
   */
  upload(key: string, opts: WriteOptions = {}): ObjectUpload {
    const partSize = Math.max(MIN_PART_SIZE, opts.partSize ?? this.loc.partSize ?? 10 * 1024 * 1024);
    const workers = Math.max(1, opts.workers ?? this.loc.workers ?? 4);
    const Key = this.k(key);
    const where = this.describe(key);
    let uploadId: string | undefined;
    let creating: Promise<string> | undefined;
    // the part being filled (a pooled buffer holding one of the store's slots) and its fill level
    let part: Buffer | null = null;
    let filled = 0;
    let partNo = 0;
    let total = 0;
    const parts: { PartNumber: number; ETag: string; ChecksumSHA256: string }[] = [];
    const inflight = new Set<Promise<void>>();
    let failed: unknown;
    let aborted = false;
    const ac = new AbortController();
    // called by write() only, which the stream never runs twice at once
    const hold = async () => {
      const b = await this.slots.acquire(workers, partSize);
      if (aborted) {
        this.slots.release(b);
        throw new DomainError("INTERNAL", `${where}: upload aborted`);
      }
      part = b;
      filled = 0;
    };
    const releaseHold = () => {
      if (!part) return;
      this.slots.release(part);
      part = null;
      filled = 0;
    };

    const ensureUpload = () =>
      (creating ??= withRetry(where, async () => {
        const r = await this.client.send(
          new CreateMultipartUploadCommand({ Bucket: this.loc.bucket, Key, ChecksumAlgorithm: "SHA256", ContentType: opts.contentType, ...this.sseParams() }),
          { abortSignal: ac.signal },
        );
        if (!r.UploadId) throw new DomainError("UNAVAILABLE", `S3 did not return an upload id for ${where}`);
        uploadId = r.UploadId;
        return r.UploadId;
      }));

    /** Sends the part being filled; its slot and buffer stay taken until S3 has it. */
    const sendPart = () => {
      const n = ++partNo;
      if (n > MAX_PARTS) throw new DomainError("INVALID", `${where} needs more than ${MAX_PARTS} parts; raise the part size.`);
      const buf = part!;
      const body = buf.subarray(0, filled);
      const sha = sha256Base64(body);
      part = null; // the slot moves to the part in flight, released below
      filled = 0;
      const p = (async () => {
        const id = await ensureUpload();
        const r = await withRetry(`${where} part ${n}`, () =>
          this.client.send(
            new UploadPartCommand({ Bucket: this.loc.bucket, Key, UploadId: id, PartNumber: n, Body: body, ContentLength: body.length, ChecksumSHA256: sha }),
            { abortSignal: ac.signal },
          ),
        );
        parts.push({ PartNumber: n, ETag: r.ETag ?? "", ChecksumSHA256: r.ChecksumSHA256 ?? sha });
      })();
      const tracked = p
        .catch((e) => {
          failed ??= e;
        })
        .finally(() => {
          this.slots.release(buf);
          inflight.delete(tracked);
        });
      inflight.add(tracked);
    };

    const abortRemote = async () => {
      releaseHold();
      ac.abort();
      await Promise.allSettled([...inflight]);
      const id = uploadId ?? (creating ? await creating.catch(() => undefined) : undefined);
      if (id) {
        await withRetry(where, () => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.loc.bucket, Key, UploadId: id }))).catch(() => undefined);
      }
    };

    let resolveDone!: (v: { size: number }) => void;
    let rejectDone!: (e: unknown) => void;
    const done = new Promise<{ size: number }>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    done.catch(() => undefined);

    const stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        (async () => {
          for (let off = 0; off < chunk.length; ) {
            if (failed) throw failed;
            if (!part) await hold();
            // read `part` again after the wait: an abort meanwhile gives the buffer back to the pool
            if (aborted || !part) throw new DomainError("INTERNAL", `${where}: upload aborted`);
            const n = chunk.copy(part, filled, off, off + Math.min(chunk.length - off, partSize - filled));
            filled += n;
            off += n;
            total += n;
            if (filled === partSize) sendPart();
          }
          if (failed) throw failed;
        })().then(
          () => cb(),
          (e) => cb(explainS3Error(e, where)),
        );
      },
      final: (cb) => {
        (async () => {
          if (partNo === 0) {
            // small object: one PUT
            const body = part ? part.subarray(0, filled) : Buffer.alloc(0);
            const sha = sha256Base64(body);
            try {
              await withRetry(where, () =>
                this.client.send(
                  new PutObjectCommand({ Bucket: this.loc.bucket, Key, Body: body, ContentLength: body.length, ChecksumSHA256: sha, ContentType: opts.contentType, ...this.sseParams() }),
                  { abortSignal: ac.signal },
                ),
              );
            } finally {
              releaseHold();
            }
            return;
          }
          if (part && filled > 0) sendPart();
          releaseHold();
          await Promise.all([...inflight]);
          if (failed) throw failed;
          parts.sort((a, b) => a.PartNumber - b.PartNumber);
          const id = await ensureUpload();
          await withRetry(where, () =>
            this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.loc.bucket, Key, UploadId: id, MultipartUpload: { Parts: parts } }), {
              abortSignal: ac.signal,
            }),
          );
        })().then(
          () => {
            resolveDone({ size: total });
            cb();
          },
          async (e) => {
            const de = explainS3Error(e, where);
            await abortRemote();
            rejectDone(de);
            cb(de);
          },
        );
      },
    });
    stream.on("error", (e) => {
      if (aborted) return;
      aborted = true;
      void abortRemote().finally(() => rejectDone(e));
    });
    return {
      stream,
      done,
      abort: async (reason?: unknown) => {
        if (aborted) return;
        aborted = true;
        stream.destroy();
        await abortRemote();
        await this.delete(key).catch(() => undefined);
        rejectDone(reason ?? new Error("upload aborted"));
      },
    };
  }

  async get(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    const r = await withRetry(this.describe(key), () =>
      this.client.send(
        new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.k(key), Range: range ? `bytes=${range.start}-${range.end ?? ""}` : undefined }),
      ),
    );
    return r.Body as Readable;
  }

  async getBuffer(key: string): Promise<Buffer> {
    const body = await this.get(key);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async head(key: string): Promise<StoredObject | null> {
    try {
      const r = await withRetry(this.describe(key), () => this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: this.k(key) })));
      return { key, size: Number(r.ContentLength ?? 0), modifiedAt: r.LastModified };
    } catch (e) {
      if (e instanceof DomainError && e.code === "NOT_FOUND") return null;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const r = await withRetry(this.describe(prefix), () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: this.k(prefix), ContinuationToken: token })),
      );
      for (const o of r.Contents ?? []) {
        if (!o.Key) continue;
        yield { key: o.Key.slice(this.prefix.length), size: Number(o.Size ?? 0), modifiedAt: o.LastModified };
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string) {
    await withRetry(this.describe(key), () => this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.k(key) })));
  }

  /**
   * Aborts multipart uploads still open under a prefix (left when S3 was unreachable at the time
   * of the abort), so their parts stop costing storage. Servers without the listing call are skipped.
   */
  async abortUploads(prefix: string) {
    let r;
    try {
      r = await withRetry(this.describe(prefix), () => this.client.send(new ListMultipartUploadsCommand({ Bucket: this.loc.bucket, Prefix: this.k(prefix) })));
    } catch (e) {
      // an unreachable store must fail the cleanup (it is retried later); a server without the call is fine
      if (e instanceof DomainError && e.retryable) throw e;
      return 0;
    }
    for (const u of r.Uploads ?? []) {
      if (u.Key && u.UploadId) await withRetry(this.describe(u.Key), () => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.loc.bucket, Key: u.Key!, UploadId: u.UploadId! })));
    }
    return r.Uploads?.length ?? 0;
  }

  async deletePrefix(prefix: string) {
    await this.abortUploads(prefix);
    let n = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const keys = batch;
      batch = [];
      try {
        await withRetry(this.describe(prefix), () =>
          this.client.send(new DeleteObjectsCommand({ Bucket: this.loc.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } })),
        );
      } catch {
        // some S3-compatible servers lack DeleteObjects (it needs Content-MD5): fall back to one by one
        for (const Key of keys) await withRetry(this.describe(prefix), () => this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key })));
      }
    };
    for await (const o of this.list(prefix)) {
      batch.push(this.k(o.key));
      n++;
      if (batch.length >= 500) await flush();
    }
    await flush();
    return n;
  }
}

/** Parses s3://bucket/prefix into its parts. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw new DomainError("INVALID", `${url} is not an s3:// URL (expected s3://bucket/prefix/)`);
  return { bucket: m[1]!, prefix: m[2] ?? "" };
}

