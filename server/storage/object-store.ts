import type { Readable, Writable } from "node:stream";

/** One object in a store. Keys are relative to the target's root (its directory or bucket prefix). */
export type StoredObject = { key: string; size: number; modifiedAt?: Date };

export type WriteOptions = {
  /** Bytes per multipart part (S3). */
  partSize?: number;
  /** Parallel part uploads (S3). */
  workers?: number;
  /** Content type hint. */
  contentType?: string;
};

/**
 * A streaming upload. Write bytes, then `end()` and await `done`; or `abort()`, after which no trace
 * of the object remains (partial file removed, S3 multipart upload aborted).
 */
export interface ObjectUpload {
  readonly stream: Writable;
  /** Resolves when the object is durable (file fsynced and renamed / multipart completed). */
  readonly done: Promise<{ size: number }>;
  abort(reason?: unknown): Promise<void>;
}

/** The storage a target points at: a local directory or an S3 bucket+prefix. */
export interface ObjectStore {
  readonly kind: "local" | "s3";
  /** e.g. "/backups" or "s3://bucket/prefix/". */
  describe(key?: string): string;
  upload(key: string, opts?: WriteOptions): ObjectUpload;
  put(key: string, body: Buffer | string): Promise<void>;
  get(key: string, range?: { start: number; end?: number }): Promise<Readable>;
  getBuffer(key: string): Promise<Buffer>;
  head(key: string): Promise<StoredObject | null>;
  list(prefix: string): AsyncIterable<StoredObject>;
  delete(key: string): Promise<void>;
  /** Deletes every object under prefix; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
}

export async function collect(it: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for await (const o of it) out.push(o);
  return out;
}
