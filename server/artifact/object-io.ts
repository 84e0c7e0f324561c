import { pipeline } from "node:stream/promises";
import { PassThrough, Transform, type Readable, type Writable } from "node:stream";
import { DomainError } from "../errors";
import type { ObjectStore, WriteOptions } from "../storage/object-store";
import { compressor, decompressor, type Compression } from "./compression";
import { DecryptStream, EncryptStream } from "./encryption";
import { Counter, HashCounter } from "./hashing";

export type ObjectEncoding = {
  compression: Compression;
  level?: number;
  /** zstd worker threads for this object (1 when many objects are written in parallel). */
  threads?: number;
  /** The backup's encryption key, or null for none. */
  key: Buffer | null;
};

export type WrittenObject = { path: string; size: number; rawSize: number; sha256: string };

/**
 * A streaming object write: raw bytes in -> compress -> encrypt -> sha256 -> store upload.
 * Checksums are computed while streaming. `abort()` removes every trace of the object.
 */
export type ObjectWriter = {
  /** Write raw (uncompressed, unencrypted) bytes here, then end() it. */
  readonly input: Writable;
  /** Resolves after the object is durable in the store. */
  readonly done: Promise<WrittenObject>;
  abort(reason?: unknown): Promise<void>;
};

export function openObjectWriter(store: ObjectStore, path: string, enc: ObjectEncoding, opts: WriteOptions & { onRawBytes?: (n: number) => void } = {}): ObjectWriter {
  const input = new PassThrough({ highWaterMark: 1 << 20 });
  const raw = new Counter(opts.onRawBytes);
  const stages: (NodeJS.ReadWriteStream | Writable)[] = [raw, compressor(enc.compression, enc.level, enc.threads ?? 1)];
  if (enc.key) stages.push(new EncryptStream(enc.key));
  const hash = new HashCounter();
  stages.push(hash);
  const upload = store.upload(path, opts);
  let aborted = false;
  const done = (async () => {
    try {
      await pipeline([input, ...stages, upload.stream] as unknown as [Readable, Writable]);
      const { size } = await upload.done;
      if (size !== hash.bytes) throw new DomainError("INTERNAL", `${store.describe(path)}: stored ${size} bytes but ${hash.bytes} were produced`);
      return { path, size: hash.bytes, rawSize: raw.bytes, sha256: hash.sha256 };
    } catch (e) {
      await upload.abort(e).catch(() => undefined);
      throw aborted ? new DomainError("INTERNAL", "object write aborted", { cause: e }) : e;
    }
  })();
  done.catch(() => undefined);
  return {
    input,
    done,
    abort: async (reason?: unknown) => {
      aborted = true;
      input.destroy(reason instanceof Error ? reason : new Error("aborted"));
      await upload.abort(reason).catch(() => undefined);
      await done.catch(() => undefined);
    },
  };
}

/** Writes a whole small object (Buffer) through the same encoding. */
export async function writeObject(store: ObjectStore, path: string, data: Buffer | string, enc: ObjectEncoding): Promise<WrittenObject> {
  const w = openObjectWriter(store, path, enc);
  w.input.end(typeof data === "string" ? Buffer.from(data) : data);
  return w.done;
}

export type ExpectedObject = { path: string; size?: number; sha256?: string };

/**
 * Reads an object back to raw bytes: store -> sha256 check -> decrypt -> decompress. Corruption is
 * reported by the decryptor (chunk authentication) or decompressor as soon as it is met, and by the
 * sha256/size check at the end of the object. The error names the object and what to do.
 */
export async function openObjectReader(store: ObjectStore, obj: ExpectedObject, enc: { compression: Compression; key: Buffer | null }): Promise<Readable> {
  const source = await store.get(obj.path);
  const hash = new HashCounter();
  const where = store.describe(obj.path);
  const stages: NodeJS.ReadWriteStream[] = [hash];
  if (enc.key) stages.push(new DecryptStream(enc.key, where));
  const decompress = decompressor(enc.compression);
  stages.push(decompress);
  // The last stage passes raw bytes on and, once everything upstream has ended (so the sha256 of
  // the stored bytes is final), fails the stream if size or checksum differ from the manifest.
  const check = new Transform({
    highWaterMark: 1 << 20,
    transform: (c, _e, cb) => cb(null, c),
    flush: (cb) => {
      if (obj.size !== undefined && hash.bytes !== obj.size)
        return cb(new DomainError("INVALID", `${where} is ${hash.bytes} bytes but the manifest says ${obj.size}: the object is truncated or was replaced.`));
      if (obj.sha256 && hash.sha256 !== obj.sha256)
        return cb(new DomainError("INVALID", `${where} fails its checksum (sha256 ${hash.sha256.slice(0, 12)}…, manifest ${obj.sha256.slice(0, 12)}…): the object is corrupted.`));
      cb();
    },
  });
  let sourceEnded = false;
  source.once("end", () => (sourceEnded = true));
  // pipeline hands this very error to every stage (and so to the reader): it is reworded in place,
  // before pipeline sees it, to name the file, say whether it is truncated, and where it stopped
  decompress.once("error", (e: Error) => {
    try {
      e.message = corruptionError(where, enc.compression, e.message, { read: hash.bytes, size: obj.size, wholeFile: sourceEnded }).message;
    } catch {
      // a frozen error keeps its own message
    }
  });
  pipeline([source, ...stages, check] as unknown as [Readable, Writable]).catch((e) => check.destroy(e));
  return check;
}

/**
 * The error for a stored object its decompressor rejects: truncated (fewer bytes than the
 * manifest) or corrupt, with the stored-byte offset reached and the decompressor's own words.
 * zstd and gzip do not report the offset of a damaged block; the offset given is how far the
 * stored bytes had been read when decompression failed.
 */
export function corruptionError(where: string, compression: Compression, cause: unknown, at: { read: number; size?: number; wholeFile: boolean }): DomainError {
  const raw = cause instanceof Error ? cause.message : String(cause);
  // "zstd decompression failed (exit 1): /*stdin*\ : Read error (39) : premature end" -> "Read error (39): premature end"
  const said = raw.replace(/^zstd decompression failed \([^)]*\):\s*/, "").replace(/\/\*stdin\*\\?\s*:\s*/g, "").replace(/\s*:\s*/g, ": ").trim() || raw;
  const tool = compression === "zstd" ? "zstd" : compression === "gzip" ? "gzip" : "the reader";
  const truncated = at.size !== undefined && at.wholeFile && at.read < at.size;
  const what = truncated
    ? `${where} is truncated: it is ${at.read} bytes but the manifest says ${at.size}, and ${tool} stopped at its end (${said})`
    : `${where} is corrupted or truncated: ${tool} could not decompress it (${said}), after reading ${at.read}${at.size !== undefined ? ` of ${at.size}` : ""} stored bytes`;
  return new DomainError("INVALID", `${what}. Verify the backup (\`dbbackup verify\`) and restore from another copy.`);
}

/** Reads a whole (small) object to a Buffer, verified. */
export async function readObject(store: ObjectStore, obj: ExpectedObject, enc: { compression: Compression; key: Buffer | null }): Promise<Buffer> {
  const r = await openObjectReader(store, obj, enc);
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Reads an object and only checks it (checksum, authentication, decompression); returns its raw size. */
export async function checkObject(store: ObjectStore, obj: ExpectedObject, enc: { compression: Compression; key: Buffer | null }): Promise<number> {
  const r = await openObjectReader(store, obj, enc);
  let n = 0;
  for await (const c of r) n += (c as Buffer).length;
  return n;
}
