import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Writable, type Readable } from "node:stream";
import { DomainError } from "../errors";
import type { ObjectStore, ObjectUpload, StoredObject } from "./object-store";

/** Explains a filesystem error on a storage path in words a person can act on. */
export function explainFsError(e: unknown, where: string): DomainError {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case "EACCES":
    case "EPERM":
      return new DomainError("PRECONDITION", `Permission denied writing ${where}: the dbbackup process (uid ${process.getuid?.()}) cannot write there. Fix the owner/mode or choose another directory.`, { cause: e });
    case "ENOSPC":
      return new DomainError("PRECONDITION", `No space left on the device holding ${where}. Free space or choose another target.`, { cause: e });
    case "EDQUOT":
      return new DomainError("PRECONDITION", `Disk quota exceeded at ${where}.`, { cause: e });
    case "EROFS":
      return new DomainError("PRECONDITION", `${where} is on a read-only filesystem.`, { cause: e });
    case "ENOTDIR":
      return new DomainError("PRECONDITION", `A path component of ${where} is a file, not a directory.`, { cause: e });
    case "EEXIST":
      // mkdir -p of a path that already exists as a file (or a symlink to one).
      return new DomainError("PRECONDITION", `${where} exists and is a file, not a directory. Choose a directory, or move the file away.`, { cause: e });
    case "ENOENT":
      return new DomainError("NOT_FOUND", `${where} does not exist.`, { cause: e });
    default:
      return new DomainError("UNAVAILABLE", `${where}: ${err.message}`, { cause: e, retryable: err.code === "EIO" || err.code === "EBUSY" });
  }
}

function safeKey(key: string): string {
  const norm = path.posix.normalize(key).replace(/^\/+/, "");
  if (norm.startsWith("..") || norm.includes("/../")) throw new DomainError("INVALID", `object key ${JSON.stringify(key)} escapes the target directory`);
  return norm;
}

export class LocalStore implements ObjectStore {
  readonly kind = "local" as const;
  constructor(readonly root: string) {}

  private abs(key: string) {
    return path.join(this.root, safeKey(key));
  }

  describe(key = "") {
    return key ? this.abs(key) : this.root;
  }

  upload(key: string): ObjectUpload {
    const final = this.abs(key);
    const tmp = `${final}.partial-${crypto.randomBytes(4).toString("hex")}`;
    let fd: fs.promises.FileHandle | undefined;
    let size = 0;
    let aborted = false;
    let resolveDone!: (v: { size: number }) => void;
    let rejectDone!: (e: unknown) => void;
    const done = new Promise<{ size: number }>((res, rej) => {
      resolveDone = res;
      rejectDone = rej;
    });
    done.catch(() => undefined); // callers await it; avoid unhandled rejections when they abort first
    const cleanup = async () => {
      await fd?.close().catch(() => undefined);
      fd = undefined;
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    };
    const stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        (async () => {
          if (!fd) {
            await fsp.mkdir(path.dirname(final), { recursive: true });
            fd = await fsp.open(tmp, "w", 0o640);
          }
          let off = 0;
          while (off < chunk.length) {
            const { bytesWritten } = await fd.write(chunk, off, chunk.length - off);
            off += bytesWritten;
          }
          size += chunk.length;
        })().then(
          () => cb(),
          (e) => cb(explainFsError(e, final)),
        );
      },
      final: (cb) => {
        (async () => {
          if (!fd) {
            await fsp.mkdir(path.dirname(final), { recursive: true });
            fd = await fsp.open(tmp, "w", 0o640);
          }
          await fd.sync();
          await fd.close();
          fd = undefined;
          await fsp.rename(tmp, final);
          resolveDone({ size });
        })().then(
          () => cb(),
          (e) => {
            const de = explainFsError(e, final);
            void cleanup();
            rejectDone(de);
            cb(de);
          },
        );
      },
    });
    stream.on("error", (e) => {
      void cleanup();
      rejectDone(e);
    });
    return {
      stream,
      done,
      abort: async (reason?: unknown) => {
        if (aborted) return;
        aborted = true;
        stream.destroy();
        await cleanup();
        await fsp.rm(final, { force: true }).catch(() => undefined);
        rejectDone(reason ?? new Error("upload aborted"));
      },
    };
  }

  async put(key: string, body: Buffer | string) {
    const final = this.abs(key);
    const tmp = `${final}.partial-${crypto.randomBytes(4).toString("hex")}`;
    try {
      await fsp.mkdir(path.dirname(final), { recursive: true });
      const fh = await fsp.open(tmp, "w", 0o640);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, final);
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw explainFsError(e, final);
    }
  }

  async get(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    const p = this.abs(key);
    try {
      await fsp.access(p, fs.constants.R_OK);
    } catch (e) {
      throw explainFsError(e, p);
    }
    return fs.createReadStream(p, { highWaterMark: 1 << 20, start: range?.start, end: range?.end });
  }

  async getBuffer(key: string) {
    const p = this.abs(key);
    try {
      return await fsp.readFile(p);
    } catch (e) {
      throw explainFsError(e, p);
    }
  }

  async head(key: string): Promise<StoredObject | null> {
    try {
      const st = await fsp.stat(this.abs(key));
      return st.isFile() ? { key, size: st.size, modifiedAt: st.mtime } : null;
    } catch {
      return null;
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const clean = prefix ? safeKey(prefix) : "";
    // list every file whose key starts with prefix: walk the deepest directory the prefix names
    const dirPart = clean.endsWith("/") || clean === "" ? clean : path.posix.dirname(clean) === "." ? "" : path.posix.dirname(clean) + "/";
    const start = path.join(this.root, dirPart);
    const walk = async function* (dir: string, rel: string): AsyncGenerator<StoredObject> {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const e of entries) {
        const k = rel + e.name;
        if (e.isDirectory()) yield* walk(path.join(dir, e.name), k + "/");
        else if (e.isFile() && k.startsWith(clean) && !/\.partial-[0-9a-f]{8}$/.test(k)) {
          const st = await fsp.stat(path.join(dir, e.name));
          yield { key: k, size: st.size, modifiedAt: st.mtime };
        }
      }
    };
    yield* walk(start, dirPart);
  }

  async delete(key: string) {
    await fsp.rm(this.abs(key), { force: true });
  }

  async deletePrefix(prefix: string) {
    let n = 0;
    for await (const o of this.list(prefix)) {
      await this.delete(o.key);
      n++;
    }
    // remove partial files and now-empty directories under a directory prefix
    if (prefix.endsWith("/")) {
      const dir = this.abs(prefix);
      await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    return n;
  }
}
