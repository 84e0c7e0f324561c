import crypto from "node:crypto";
import { Writable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
  type ServerSideEncryption,
} from "@aws-sdk/client-s3";
import { DomainError } from "../errors";
import type { ObjectUpload } from "./object-store";
import { explainS3Error } from "./s3-errors";

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PARTS = 10000;
const RETRIES = 5;

/** The x-amz-checksum-sha256 of a body: S3 recomputes it and refuses the request on a mismatch. */
export function sha256Base64(body: Buffer): string {
  return crypto.createHash("sha256").update(body).digest("base64");
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
export class PartSlots {
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
  /** Slots taken right now (parts being filled or in flight). */
  get taken() {
    return this.used;
  }
  /** Buffers kept for reuse. */
  get pooled() {
    return this.free.length;
  }
}

/** Where one object goes and how S3 is asked to store it. */
export type MultipartTarget = {
  client: S3Client;
  bucket: string;
  key: string;
  /** s3://bucket/key, for messages */
  where: string;
  contentType?: string;
  sse: { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string };
  /** removes the object if a single PUT already stored it when the upload is aborted */
  deleteObject(): Promise<void>;
};

/**
 * One object streamed to S3 by parallel multipart upload: parts of `partSize` bytes, each with its
 * SHA-256 sent to S3 and retried with backoff. An object smaller than one part is sent with a
 * single PUT. Any failure or abort aborts the multipart upload, so no parts are left behind.
 *
 * Memory: a part being filled and a part in flight each take one of the store's slots with its
 * buffer, so all objects written at once through one store hold at most workers x partSize bytes
 * of parts. A writer waits for a slot (backpressure) before it buffers, and copies what it is
 * given straight into the part (one copy, nothing else held).
 *
 * Why not @aws-sdk/lib-storage's Upload: it buffers up to queueSize parts per upload with no
 * budget shared between uploads (a backup writes several objects at once), and it copies its
 * input into parts it allocates anew. See README "Storage targets".
 */
export class MultipartUpload implements ObjectUpload {
  readonly stream: Writable;
  readonly done: Promise<{ size: number }>;
  private resolveDone!: (v: { size: number }) => void;
  private rejectDone!: (e: unknown) => void;

  private uploadId: string | undefined;
  private creating: Promise<string> | undefined;
  /** the part being filled (a pooled buffer holding one of the store's slots) and its fill level */
  private part: Buffer | null = null;
  private filled = 0;
  private partNo = 0;
  private total = 0;
  private readonly parts: { PartNumber: number; ETag: string; ChecksumSHA256: string }[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private failed: unknown;
  private aborted = false;
  private readonly ac = new AbortController();

  constructor(
    private readonly t: MultipartTarget,
    private readonly slots: PartSlots,
    private readonly partSize: number,
    private readonly workers: number,
  ) {
    this.done = new Promise<{ size: number }>((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => undefined);
    this.stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        this.write(chunk).then(
          () => cb(),
          (e) => cb(explainS3Error(e, t.where)),
        );
      },
      final: (cb) => {
        this.finish().then(
          () => {
            this.resolveDone({ size: this.total });
            cb();
          },
          async (e) => {
            const de = explainS3Error(e, t.where);
            await this.abortRemote();
            this.rejectDone(de);
            cb(de);
          },
        );
      },
    });
    this.stream.on("error", (e) => {
      if (this.aborted) return;
      this.aborted = true;
      void this.abortRemote().finally(() => this.rejectDone(e));
    });
  }

  /** Stops the upload: nothing of the object remains in the bucket afterwards. */
  async abort(reason?: unknown): Promise<void> {
    if (this.aborted) return;
    this.aborted = true;
    this.stream.destroy();
    await this.abortRemote();
    await this.t.deleteObject().catch(() => undefined);
    this.rejectDone(reason ?? new Error("upload aborted"));
  }

  private abortedError() {
    return new DomainError("INTERNAL", `${this.t.where}: upload aborted`);
  }

  // called by write() only, which the stream never runs twice at once
  private async hold() {
    const b = await this.slots.acquire(this.workers, this.partSize);
    if (this.aborted) {
      this.slots.release(b);
      throw this.abortedError();
    }
    this.part = b;
    this.filled = 0;
  }

  private releaseHold() {
    if (!this.part) return;
    this.slots.release(this.part);
    this.part = null;
    this.filled = 0;
  }

  private async write(chunk: Buffer) {
    for (let off = 0; off < chunk.length; ) {
      if (this.failed) throw this.failed;
      if (!this.part) await this.hold();
      // read `part` again after the wait: an abort meanwhile gives the buffer back to the pool
      const part = this.part as Buffer | null;
      if (this.aborted || !part) throw this.abortedError();
      const n = chunk.copy(part, this.filled, off, off + Math.min(chunk.length - off, this.partSize - this.filled));
      this.filled += n;
      off += n;
      this.total += n;
      if (this.filled === this.partSize) this.sendPart();
    }
    if (this.failed) throw this.failed;
  }

  private ensureUpload(): Promise<string> {
    const { t } = this;
    return (this.creating ??= withRetry(t.where, async () => {
      const r = await t.client.send(
        new CreateMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, ChecksumAlgorithm: "SHA256", ContentType: t.contentType, ...t.sse }),
        { abortSignal: this.ac.signal },
      );
      if (!r.UploadId) throw new DomainError("UNAVAILABLE", `S3 did not return an upload id for ${t.where}`);
      this.uploadId = r.UploadId;
      return r.UploadId;
    }));
  }

  /** Sends the part being filled; its slot and buffer stay taken until S3 has it. */
  private sendPart() {
    const { t } = this;
    const n = ++this.partNo;
    if (n > MAX_PARTS) throw new DomainError("INVALID", `${t.where} needs more than ${MAX_PARTS} parts; raise the part size.`);
    const buf = this.part!;
    const body = buf.subarray(0, this.filled);
    const sha = sha256Base64(body);
    this.part = null; // the slot moves to the part in flight, released below
    this.filled = 0;
    const p = (async () => {
      const id = await this.ensureUpload();
      const r = await withRetry(`${t.where} part ${n}`, () =>
        t.client.send(new UploadPartCommand({ Bucket: t.bucket, Key: t.key, UploadId: id, PartNumber: n, Body: body, ContentLength: body.length, ChecksumSHA256: sha }), {
          abortSignal: this.ac.signal,
        }),
      );
      this.parts.push({ PartNumber: n, ETag: r.ETag ?? "", ChecksumSHA256: r.ChecksumSHA256 ?? sha });
    })();
    const tracked = p
      .catch((e) => {
        this.failed ??= e;
      })
      .finally(() => {
        this.slots.release(buf);
        this.inflight.delete(tracked);
      });
    this.inflight.add(tracked);
  }

  private async finish() {
    const { t } = this;
    if (this.partNo === 0) {
      // small object: one PUT
      const body = this.part ? this.part.subarray(0, this.filled) : Buffer.alloc(0);
      const sha = sha256Base64(body);
      try {
        await withRetry(t.where, () =>
          t.client.send(new PutObjectCommand({ Bucket: t.bucket, Key: t.key, Body: body, ContentLength: body.length, ChecksumSHA256: sha, ContentType: t.contentType, ...t.sse }), {
            abortSignal: this.ac.signal,
          }),
        );
      } finally {
        this.releaseHold();
      }
      return;
    }
    if (this.part && this.filled > 0) this.sendPart();
    this.releaseHold();
    await Promise.all([...this.inflight]);
    if (this.failed) throw this.failed;
    this.parts.sort((a, b) => a.PartNumber - b.PartNumber);
    const id = await this.ensureUpload();
    await withRetry(t.where, () =>
      t.client.send(new CompleteMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: id, MultipartUpload: { Parts: this.parts } }), { abortSignal: this.ac.signal }),
    );
  }

  private async abortRemote() {
    const { t } = this;
    this.releaseHold();
    this.ac.abort();
    await Promise.allSettled([...this.inflight]);
    const id = this.uploadId ?? (this.creating ? await this.creating.catch(() => undefined) : undefined);
    if (id) await withRetry(t.where, () => t.client.send(new AbortMultipartUploadCommand({ Bucket: t.bucket, Key: t.key, UploadId: id }))).catch(() => undefined);
  }
}
