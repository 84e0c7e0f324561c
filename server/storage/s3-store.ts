import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ServerSideEncryption,
} from "@aws-sdk/client-s3";
import { DomainError } from "../errors";
import type { ObjectStore, ObjectUpload, StoredObject, WriteOptions } from "./object-store";
import { MIN_PART_SIZE, MultipartUpload, PartSlots, sha256Base64, withRetry } from "./s3-multipart";

export { MIN_PART_SIZE, withRetry };

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

export function normalizePrefix(p: string | undefined | null): string {
  const s = (p ?? "").replace(/^\/+/, "");
  return s === "" || s.endsWith("/") ? s : s + "/";
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

  /** Streams an object by parallel multipart upload (see MultipartUpload); abort leaves nothing behind. */
  upload(key: string, opts: WriteOptions = {}): ObjectUpload {
    const partSize = Math.max(MIN_PART_SIZE, opts.partSize ?? this.loc.partSize ?? 10 * 1024 * 1024);
    const workers = Math.max(1, opts.workers ?? this.loc.workers ?? 4);
    const target = {
      client: this.client,
      bucket: this.loc.bucket,
      key: this.k(key),
      where: this.describe(key),
      contentType: opts.contentType,
      sse: this.sseParams(),
      deleteObject: () => this.delete(key),
    };
    return new MultipartUpload(target, this.slots, partSize, workers);
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

