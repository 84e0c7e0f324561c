import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { BackupSetReader } from "../artifact/backup-set-reader";
import type { Compression } from "../artifact/compression";
import { keyId } from "../artifact/encryption";
import { MANIFEST_NAME, manifestSchema, type Manifest } from "../artifact/manifest";
import { openObjectWriter } from "../artifact/object-io";
import { getEngine } from "../engines/registry";
import type { TableFilter } from "../engines/types";
import type { WorkContext } from "../work-context";
import { DomainError } from "../errors";
import type { ServerAddress } from "../mysql/connection-options";
import type { ServerFacts } from "../mysql/server-facts";
import { LocalStore } from "../storage/local-store";
import type { ObjectStore, ObjectUpload, StoredObject, WriteOptions } from "../storage/object-store";
import { backupToSet } from "./backup-to-set";
import { sidecarManifestKey } from "./sidecar-store";

/** The layout of a logical backup set carried inside one tar archive (db.tar.gz). */
export const LOGICAL_TAR_LAYOUT = "logical-tar";

/**
 * A store that turns a backup set into one tar stream. Each object is spooled to its own file in a
 * temporary directory while it is written (objects of a logical set are written several at once,
 * and a tar entry needs its size up front), then appended to the tar in the order objects complete
 * and its spool file deleted; manifest.json, written last, is the tar's last entry. Memory stays at
 * a few stream buffers; the disk holds only the objects still being written.
 */
class TarSpoolStore implements ObjectStore {
  readonly kind = "local" as const;
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private n = 0;
  constructor(
    private readonly pack: tar.Pack,
    private readonly spoolDir: string,
    private readonly where: string,
  ) {}

  describe(key = "") {
    return key ? `${this.where} (entry ${key})` : this.where;
  }

  /** Appends one entry (serialized: tar entries are written one after the other). */
  private append(name: string, size: number, body: () => Readable): Promise<void> {
    const step = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve, reject) => {
        const entry = this.pack.entry({ name, size, mode: 0o644, mtime: new Date(), type: "file" }, (err) => (err ? reject(err) : resolve()));
        pipeline(body(), entry).catch(reject);
      });
    });
    this.queue = step.catch((e) => {
      this.failure ??= e;
    });
    return step;
  }

  upload(key: string, _opts?: WriteOptions): ObjectUpload {
    const file = path.join(this.spoolDir, `o${++this.n}`);
    const stream = fs.createWriteStream(file);
    let aborted = false;
    const done = (async () => {
      await new Promise<void>((resolve, reject) => {
        stream.once("finish", () => resolve());
        stream.once("error", reject);
        stream.once("close", () => (aborted ? reject(new Error("aborted")) : undefined));
      });
      const { size } = await fsp.stat(file);
      try {
        await this.append(key, size, () => fs.createReadStream(file));
      } finally {
        await fsp.rm(file, { force: true });
      }
      return { size };
    })();
    done.catch(() => undefined);
    return {
      stream,
      done,
      abort: async () => {
        aborted = true;
        stream.destroy();
        await fsp.rm(file, { force: true }).catch(() => undefined);
      },
    };
  }

  async put(key: string, body: Buffer | string) {
    const b = typeof body === "string" ? Buffer.from(body) : body;
    await this.append(key, b.length, () => Readable.from([b]));
  }

  /** Waits for every queued entry and ends the tar. */
  async finish() {
    await this.queue;
    if (this.failure) throw this.failure;
    this.pack.finalize();
  }

  async get(): Promise<Readable> {
    throw new DomainError("INTERNAL", `${this.where} is being written as a tar stream: it cannot be read back while written`);
  }
  async getBuffer(): Promise<Buffer> {
    throw new DomainError("INTERNAL", `${this.where} is being written as a tar stream: it cannot be read back while written`);
  }
  async head(): Promise<StoredObject | null> {
    return null;
  }
  async *list(): AsyncIterable<StoredObject> {}
  async delete() {}
  async deletePrefix() {
    return 0;
  }
}

export type LogicalTarOptions = {
  server: ServerAddress;
  facts: ServerFacts;
  /** the store and key of the archive (db.tar.gz); its manifest goes beside it too */
  store: ObjectStore;
  key: string;
  /** the archive's compression, from its name (.tar.gz gzip, .tar.zst zstd, .tar none) */
  compression: Compression;
  level?: number;
  encryptionKey?: Buffer | null;
  writeOptions?: WriteOptions;
  filter?: TableFilter;
  parallel?: number;
  includeUsers?: boolean;
  reason: string;
  hostName?: string;
  backupId?: string;
};

/**
 * The logical engine's backup set written as one tar archive, compressed as a whole: the set's
 * objects (uncompressed inside; the archive's compression covers them) and its manifest.json as the
 * last entry, so `tar -tzf db.tar.gz` lists them and `restore --from db.tar.gz` restores it. The
 * archive's own manifest (layout logical-tar, one object) goes beside it, as for every single-file
 * backup. On failure nothing is left: the archive upload is aborted and the spool removed.
 */
export async function backupLogicalToTar(ctx: WorkContext, o: LogicalTarOptions): Promise<{ manifest: Manifest }> {
  const spoolDir = await fsp.mkdtemp(path.join(os.tmpdir(), "dbbackup-tar-spool-"));
  const archive = openObjectWriter(o.store, o.key, { compression: o.compression, level: o.level, threads: 0, key: o.encryptionKey ?? null }, o.writeOptions ?? {});
  const pack = tar.pack();
  const packed = pipeline(pack, archive.input as Writable);
  packed.catch(() => undefined);
  const spool = new TarSpoolStore(pack, spoolDir, o.store.describe(o.key));
  let written = false;
  try {
    const inner = await backupToSet(ctx, {
      server: o.server,
      facts: o.facts,
      engine: getEngine("logical"),
      reason: o.reason,
      store: spool,
      prefix: "",
      compression: "none",
      key: null,
      filter: o.filter,
      parallel: o.parallel,
      includeUsers: o.includeUsers,
      hostName: o.hostName,
      backupId: o.backupId,
    });
    await spool.finish();
    await packed;
    const r = await archive.done;
    written = true;
    const m = inner.manifest;
    const manifest: Manifest = manifestSchema.parse({
      ...m,
      layout: LOGICAL_TAR_LAYOUT,
      compression: { algorithm: o.compression, ...(o.level !== undefined ? { level: o.level } : {}) },
      encryption: o.encryptionKey ? { algorithm: "AES-256-GCM-chunked", keyId: keyId(o.encryptionKey) } : null,
      objects: [{ path: path.posix.basename(o.key), size: r.size, rawSize: r.rawSize, sha256: r.sha256, role: "archive" }],
      totals: { ...m.totals, rawBytes: r.rawSize, storedBytes: r.size },
      details: { ...m.details, archive: "tar of a logical backup set (objects, then manifest.json last)", innerLayout: m.layout },
    });
    await o.store.put(sidecarManifestKey(o.key), JSON.stringify(manifest, null, 2) + "\n");
    return { manifest };
  } catch (e) {
    pack.destroy(e as Error);
    await archive.abort(e).catch(() => undefined);
    if (written) await o.store.delete(o.key).catch(() => undefined);
    throw e;
  } finally {
    await fsp.rm(spoolDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Unpacks a logical-tar backup's archive (verified while read: sha256, decompression, decryption)
 * into a new temporary directory and opens the logical set inside it. The caller restores from the
 * returned reader and then calls `cleanup()`.
 */
export async function openLogicalTar(reader: BackupSetReader): Promise<{ reader: BackupSetReader; cleanup: () => Promise<void> }> {
  const obj = reader.manifest.objects[0];
  if (!obj) throw new DomainError("INVALID", `${reader.describe()} lists no archive in its manifest.`);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dbbackup-tar-restore-"));
  const cleanup = () => fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  try {
    const extract = tar.extract();
    const source = await reader.open(obj);
    const names: string[] = [];
    extract.on("entry", (header, stream, next) => {
      const name = path.posix.normalize(header.name);
      if (header.type !== "file" || name.startsWith("..") || path.posix.isAbsolute(name)) {
        stream.resume();
        stream.once("end", next);
        return;
      }
      names.push(name);
      const dest = path.join(dir, name);
      fsp
        .mkdir(path.dirname(dest), { recursive: true })
        .then(() => pipeline(stream, fs.createWriteStream(dest)))
        .then(() => next(), (e) => next(e));
    });
    await pipeline(source, extract as unknown as Writable);
    if (names[names.length - 1] !== MANIFEST_NAME) throw new DomainError("INVALID", `${reader.describe(obj)} does not end with ${MANIFEST_NAME}: the archive is incomplete.`);
    return { reader: await BackupSetReader.open(new LocalStore(dir), ""), cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

