import { once } from "node:events";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { DomainError } from "../../errors";

type HeaderArg = Parameters<tar.Pack["entry"]>[0];

type Entry = { rel: string; stat: fs.Stats; link?: string };

/** Files and directories under root (depth first, sorted), without sockets, fifos and devices. */
async function walk(root: string, skip: (rel: string) => boolean): Promise<Entry[]> {
  const out: Entry[] = [];
  const visit = async (rel: string) => {
    const names = (await fsp.readdir(path.join(root, rel))).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const abs = path.join(root, r);
      const stat = await fsp.lstat(abs);
      if (stat.isDirectory()) {
        out.push({ rel: r, stat });
        await visit(r);
      } else if (stat.isFile()) out.push({ rel: r, stat });
      else if (stat.isSymbolicLink()) out.push({ rel: r, stat, link: await fsp.readlink(abs) });
    }
  };
  await visit("");
  return out;
}

export type PackResult = { files: number; directories: number; bytes: number };

/**
 * Streams a directory tree as a tar archive into `out`, one file at a time with backpressure
 * (memory stays at a few buffers whatever the size), keeping modes, owners and mtimes. The tree
 * must not change while it is read (a snapshot, a finished clone). Cancelling via `signal`
 * destroys the archive stream, so the object being written fails and is aborted by its owner.
 */
export async function packDirectory(
  root: string,
  out: Writable,
  opts: { signal?: AbortSignal; skip?: (rel: string) => boolean; onTotal?: (bytes: number, files: number) => void; onBytes?: (n: number) => void } = {},
): Promise<PackResult> {
  const entries = await walk(root, opts.skip ?? (() => false));
  const files = entries.filter((e) => e.stat.isFile());
  const total = files.reduce((s, e) => s + e.stat.size, 0);
  opts.onTotal?.(total, files.length);

  const pack = tar.pack();
  const sent = pipeline(pack as unknown as NodeJS.ReadableStream, out);
  const onAbort = () => pack.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("cancelled"));
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let failed: unknown = null;
  sent.catch((e) => (failed ??= e));
  try {
    for (const e of entries) {
      if (failed) break;
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("cancelled");
      const base = { name: e.rel, mode: e.stat.mode & 0o7777, uid: e.stat.uid, gid: e.stat.gid, mtime: e.stat.mtime };
      if (e.stat.isDirectory()) await entryDone(pack, { ...base, type: "directory" });
      else if (e.link !== undefined) await entryDone(pack, { ...base, type: "symlink", linkname: e.link });
      else await addFile(pack, path.join(root, e.rel), { ...base, type: "file", size: e.stat.size }, opts.onBytes);
    }
    if (!failed) pack.finalize();
    await sent;
  } catch (e) {
    pack.destroy(e as Error);
    await sent.catch(() => undefined);
    throw failed ?? e;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
  return { files: files.length, directories: entries.filter((e) => e.stat.isDirectory()).length, bytes: total };
}

function entryDone(pack: tar.Pack, header: HeaderArg): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
}

async function addFile(pack: tar.Pack, abs: string, header: HeaderArg & { size: number }, onBytes?: (n: number) => void) {
  let sink!: ReturnType<tar.Pack["entry"]>;
  const finished = new Promise<void>((resolve, reject) => {
    sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
  finished.catch(() => undefined); // awaited below; a destroyed archive must not also be "unhandled"
  // the entry's failure arrives through `finished`; without a listener its "error" event would throw
  (sink as unknown as NodeJS.EventEmitter).on("error", () => undefined);
  let written = 0;
  const src = fs.createReadStream(abs, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of src) {
      const buf = chunk as Buffer;
      // a file that grew since it was listed: the header already promised `size` bytes
      const part = written + buf.length > header.size ? buf.subarray(0, header.size - written) : buf;
      written += part.length;
      onBytes?.(part.length);
      if (part.length && !sink.write(part)) await Promise.race([once(sink as unknown as NodeJS.EventEmitter, "drain"), finished]);
      if (written >= header.size) break;
    }
  } finally {
    src.destroy();
  }
  if (written < header.size) {
    const e = new DomainError("INTERNAL", `${abs} shrank while it was archived (${written} of ${header.size} bytes): the directory is not a frozen copy.`);
    sink.destroy(e);
    throw e;
  }
  sink.end(undefined);
  await finished;
}
