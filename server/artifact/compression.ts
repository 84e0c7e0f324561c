import { spawn } from "node:child_process";
import { Duplex, PassThrough, type Transform } from "node:stream";
import zlib from "node:zlib";
import { DomainError } from "../errors";
import { findTool } from "../mysql/tools";

export const COMPRESSIONS = ["zstd", "gzip", "none"] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export function compressionExtension(c: Compression): string {
  return c === "zstd" ? ".zst" : c === "gzip" ? ".gz" : "";
}

export function compressionFromFileName(name: string): Compression {
  if (/\.zst$/i.test(name)) return "zstd";
  if (/\.gz$/i.test(name)) return "gzip";
  return "none";
}

function zstdBinary(): string {
  const bin = findTool("zstd");
  if (!bin) throw new DomainError("PRECONDITION", "zstd is not installed on this machine: apt-get install zstd (or choose gzip compression).");
  return bin;
}

/**
 * Runs a filter program (stdin -> stdout) as a Duplex stream. Backpressure flows through the pipes;
 * a non-zero exit becomes a stream error carrying the program's stderr.
 */
export function childFilter(cmd: string, args: string[], what: string): Duplex {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  // The readable side ends only once the program's exit status is known: ending with its stdout
  // would let a failing exit (zstd's "checksum mismatch" comes after its last output) go unseen.
  const output = new PassThrough({ highWaterMark: 1 << 16 });
  child.stdout.pipe(output, { end: false });
  const duplex = Duplex.from({ writable: child.stdin, readable: output });
  child.on("error", (e) => duplex.destroy(e));
  child.on("close", (code, signal) => {
    if (code === 0) output.end();
    else if (!duplex.destroyed) duplex.destroy(new DomainError("INVALID", `${what} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || "no message"}`));
  });
  // stop the child if the pipeline is torn down early (cancellation, error elsewhere)
  duplex.on("close", () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  // EPIPE on stdin when the child died: the close handler reports the real cause
  child.stdin.on("error", () => undefined);
  return duplex;
}

/** A stream that compresses what is written to it. zstd runs as a child process (multi-threaded with threads > 1). */
export function compressor(c: Compression, level?: number, threads = 1): Duplex | Transform {
  if (c === "none") return new PassThrough({ highWaterMark: 1 << 20 });
  if (c === "gzip") return zlib.createGzip({ level: level ?? 6, chunkSize: 1 << 16 });
  const lvl = Math.max(1, Math.min(19, level ?? 3));
  return childFilter(zstdBinary(), [`-${lvl}`, `-T${threads}`, "-q", "-c", "-"], "zstd compression");
}

/** A stream that decompresses; a corrupt stream fails with the decompressor's message. */
export function decompressor(c: Compression): Duplex | Transform {
  if (c === "none") return new PassThrough({ highWaterMark: 1 << 20 });
  if (c === "gzip") return zlib.createGunzip({ chunkSize: 1 << 16 });
  return childFilter(zstdBinary(), ["-d", "-q", "-c", "-"], "zstd decompression");
}
