import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { DomainError } from "../../errors";

/** The absolute path for a tar entry name under root; refuses names that would escape it. */
function inside(root: string, name: string): string {
  const clean = path.posix.normalize(name.replace(/^\.\/+/, "")).replace(/\/+$/, "");
  if (!clean || clean === ".") return root;
  if (path.posix.isAbsolute(clean) || clean === ".." || clean.startsWith("../")) {
    throw new DomainError("INVALID", `The archive holds ${JSON.stringify(name)}, which points outside the restore directory: refusing to extract it.`);
  }
  return path.join(root, clean);
}

export type ExtractResult = { files: number; directories: number; bytes: number };

/**
 * Extracts a tar stream into `root` (created if missing), one entry at a time with backpressure,
 * keeping modes and mtimes. Entries that would escape `root` are refused. Directory modes are
 * applied at the end, so a read-only directory in the archive does not block its own files.
 */
export async function extractTar(source: Readable, root: string, opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<ExtractResult> {
  await fsp.mkdir(root, { recursive: true });
  const extract = tar.extract();
  const dirs: { abs: string; mode: number; mtime?: Date }[] = [];
  const result: ExtractResult = { files: 0, directories: 0, bytes: 0 };
  const onAbort = () => extract.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("cancelled"));
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const feeding = pipeline(source, extract);
  feeding.catch(() => undefined);
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const abs = inside(root, h.name);
      if (h.type === "directory") {
        await fsp.mkdir(abs, { recursive: true, mode: 0o700 });
        dirs.push({ abs, mode: (h.mode ?? 0o755) & 0o7777, mtime: h.mtime });
        result.directories++;
        entry.resume();
      } else if (h.type === "file" || h.type === "contiguous-file") {
        await fsp.mkdir(path.dirname(abs), { recursive: true });
        const counter = async function* (src: AsyncIterable<Buffer>) {
          for await (const c of src) {
            result.bytes += c.length;
            opts.onBytes?.(c.length);
            yield c;
          }
        };
        await pipeline(entry as unknown as Readable, counter, fs.createWriteStream(abs, { mode: (h.mode ?? 0o644) & 0o7777, highWaterMark: 1 << 20 }));
        await fsp.chmod(abs, (h.mode ?? 0o644) & 0o7777);
        if (h.mtime) await fsp.utimes(abs, h.mtime, h.mtime);
        result.files++;
      } else if (h.type === "symlink" && h.linkname) {
        await fsp.mkdir(path.dirname(abs), { recursive: true });
        await fsp.rm(abs, { force: true });
        await fsp.symlink(h.linkname, abs);
        entry.resume();
      } else {
        // pax headers are consumed by tar-stream; devices, fifos and hard links have no place in a datadir
        entry.resume();
      }
    }
    await feeding;
  } catch (e) {
    extract.destroy();
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    throw e;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
  for (const d of dirs.reverse()) {
    await fsp.chmod(d.abs, d.mode);
    if (d.mtime) await fsp.utimes(d.abs, d.mtime, d.mtime);
  }
  return result;
}
