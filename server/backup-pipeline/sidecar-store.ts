import path from "node:path";
import type { Readable } from "node:stream";
import { MANIFEST_NAME } from "../artifact/manifest";
import { DomainError } from "../errors";
import type { ObjectStore, ObjectUpload, StoredObject, WriteOptions } from "../storage/object-store";

/** The manifest that sits next to a single-file backup: `<file>.manifest.json`. */
export function sidecarManifestKey(fileKey: string): string {
  return `${fileKey}.manifest.json`;
}

/**
 * A single-file backup (db.sql.zst, db.tar.gz) seen as a backup set: the file is the set's one
 * object and `<file>.manifest.json` its manifest. It lets BackupSetWriter, BackupSetReader and
 * every restorer work on one file without knowing, and an aborted backup removes exactly these
 * two files, never a neighbour in the same directory or bucket prefix.
 */
export class SidecarStore implements ObjectStore {
  readonly kind: "local" | "s3";
  /** the object's name inside the set (and in its manifest) */
  readonly objectName: string;
  constructor(
    readonly inner: ObjectStore,
    /** key of the file in the inner store, e.g. "nightly/db.tar.gz" */
    readonly fileKey: string,
  ) {
    this.kind = inner.kind;
    this.objectName = path.posix.basename(fileKey);
  }

  private map(key: string): string {
    if (key === MANIFEST_NAME) return sidecarManifestKey(this.fileKey);
    if (key === this.objectName) return this.fileKey;
    throw new DomainError("PRECONDITION", `${this.inner.describe(this.fileKey)} is a single-file backup: it holds one object (${this.objectName}), not ${JSON.stringify(key)}. Write to a directory or an s3:// prefix to keep several objects.`);
  }

  describe(key = "") {
    return this.inner.describe(key ? this.map(key) : this.fileKey);
  }
  upload(key: string, opts?: WriteOptions): ObjectUpload {
    return this.inner.upload(this.map(key), opts);
  }
  put(key: string, body: Buffer | string) {
    return this.inner.put(this.map(key), body);
  }
  get(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    return this.inner.get(this.map(key), range);
  }
  getBuffer(key: string) {
    return this.inner.getBuffer(this.map(key));
  }
  async head(key: string): Promise<StoredObject | null> {
    const h = await this.inner.head(this.map(key));
    return h ? { ...h, key } : null;
  }
  async *list(prefix: string): AsyncIterable<StoredObject> {
    for (const k of [this.objectName, MANIFEST_NAME]) {
      if (!k.startsWith(prefix)) continue;
      const h = await this.head(k);
      if (h) yield h;
    }
  }
  delete(key: string) {
    return this.inner.delete(this.map(key));
  }
  async deletePrefix(prefix: string) {
    let n = 0;
    for (const k of [this.objectName, MANIFEST_NAME]) {
      if (!k.startsWith(prefix)) continue;
      if (await this.inner.head(this.map(k))) n++;
      await this.inner.delete(this.map(k)).catch(() => undefined);
    }
    return n;
  }
}
