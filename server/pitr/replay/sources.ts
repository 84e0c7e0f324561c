import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HashCounter } from "../../artifact/hashing";
import { openObjectReader } from "../../artifact/object-io";
import { compareBinlogFiles, listArchivedSegments, openArchivedFile, type SegmentMeta } from "../../binlog";
import { readState, type LocalSegment } from "../../binlog/archive-state";
import { BINLOG_MAGIC, EventType, HEADER_LENGTH } from "../../binlog/event-types";
import { DomainError } from "../../errors";
import type { ObjectStore } from "../../storage/object-store";
import { buildCoverage, rangeContaining } from "../coverage";
import { stateIncludes } from "../gtid";
import { describeTarget, type PitrTarget } from "../plan";
import { comparePos, fileNumber, formatPos, type BinlogPos } from "../positions";
import type { ReplaySource } from "./types";

const CHUNK = 1 << 20;

/** Binlog files on this machine (a server's own files, or copies), replayed in the order given. */
export function localFileSources(paths: string[]): ReplaySource[] {
  return paths.map((p) => ({
    file: path.basename(p),
    size: fs.statSync(p).size,
    open: () => fs.createReadStream(p, { highWaterMark: CHUNK }),
  }));
}

/** Reads the first event of a stream that starts with the magic header (a file's FORMAT_DESCRIPTION). */
async function firstEvent(stream: Readable, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let have = 0;
  try {
    for await (const c of stream) {
      chunks.push(c as Buffer);
      have += (c as Buffer).length;
      if (have < 4 + HEADER_LENGTH) continue;
      const buf = Buffer.concat(chunks);
      if (!buf.subarray(0, 4).equals(BINLOG_MAGIC) || buf[4 + 4] !== EventType.FORMAT_DESCRIPTION) break;
      const size = buf.readUInt32LE(4 + 9);
      if (have >= 4 + size) return buf.subarray(4, 4 + size);
    }
  } finally {
    stream.destroy();
  }
  throw new DomainError("INVALID", `${what} does not start with a binlog FORMAT_DESCRIPTION event.`);
}

/**
 * For a file archived from mid-file: the FORMAT_DESCRIPTION of the nearest file of the same server
 * archived from its start (its post-header lengths and checksum algorithm are the same while the
 * server version is). Without one, the DBA is told how to get one.
 */
export function borrowedFormatDescription(store: ObjectStore, candidates: SegmentMeta[], file: string, workDir?: string): () => Promise<Buffer> {
  return async () => {
    const starts = candidates.filter((s) => s.startPosition === 4 && s.file !== file);
    const later = starts.filter((s) => compareBinlogFiles(s.file, file) > 0).sort((a, b) => compareBinlogFiles(a.file, b.file));
    const earlier = starts.filter((s) => compareBinlogFiles(s.file, file) < 0).sort((a, b) => compareBinlogFiles(b.file, a.file));
    const seg = later[0] ?? earlier[0];
    if (!seg && workDir) {
      // the next file may not be shipped yet: the archiver's working directory has its start
      const st = await readState(workDir);
      const local = [...(st?.pending ?? []), ...(st?.current ? [st.current] : [])].find((s) => s.byteOffset === 0 && s.file !== file && s.endPosition > 4);
      if (local) return firstEvent(fs.createReadStream(path.join(workDir, local.localName)), path.join(workDir, local.localName));
    }
    if (!seg) {
      throw new DomainError(
        "PRECONDITION",
        `${file} is archived only from the middle (the archiver started there), so its format description event is not in the archive, and no other file of this server is archived from its start to take it from. Run FLUSH BINARY LOGS on the source: once the next file is archived, this point becomes restorable.`,
      );
    }
    const stream = await openObjectReader(store, { path: seg.key, size: seg.storedSize, sha256: seg.storedSha256 || undefined }, { compression: seg.compression, key: null });
    return firstEvent(stream, store.describe(seg.key));
  };
}

/** Consecutive segments of one file that do not start at the file's start, verified like openArchivedFile. */
function openSegmentChain(store: ObjectStore, segs: SegmentMeta[]): Readable {
  for (let i = 1; i < segs.length; i++) {
    if (segs[i]!.startPosition !== segs[i - 1]!.endPosition) throw new DomainError("PRECONDITION", `The archive of ${segs[0]!.file} has a gap between positions ${segs[i - 1]!.endPosition} and ${segs[i]!.startPosition}.`);
  }
  const out = new PassThrough({ highWaterMark: CHUNK });
  (async () => {
    for (const s of segs) {
      const src = await openObjectReader(store, { path: s.key, size: s.storedSize, sha256: s.storedSha256 || undefined }, { compression: s.compression, key: null });
      const raw = new HashCounter();
      await pipeline(src, raw, out, { end: false });
      if (raw.bytes !== s.size || raw.sha256 !== s.sha256) throw new DomainError("INVALID", `Archived segment ${store.describe(s.key)} does not match its metadata (raw ${raw.bytes} bytes; expected ${s.size}).`);
    }
    out.end();
  })().catch((e) => out.destroy(e));
  return out;
}

/**
 * Files of an archive, each reassembled from its segments and verified against their sha256.
 * `all` (default `segments`) is where a file archived from mid-file borrows its format description.
 */
export function archivedFileSources(store: ObjectStore, segments: SegmentMeta[], files: string[], all: SegmentMeta[] = segments): ReplaySource[] {
  return files.map((file) => {
    const segs = segments.filter((s) => s.file === file).sort((a, b) => a.startPosition - b.startPosition);
    const size = segs.reduce((n, s) => Math.max(n, s.endPosition), 0);
    if (segs.length && segs[0]!.startPosition !== 4) {
      return { file, size, open: () => openSegmentChain(store, segs), formatDescription: borrowedFormatDescription(store, all, file) };
    }
    return { file, size, open: () => openArchivedFile(store, segments, file) };
  });
}

/** What to do when an archive does not reach back to a base backup's coordinates. */
export function missingCoverageAdvice(from: BinlogPos): string {
  return (
    `Nothing was restored. To replay from this backup, archive from its binlog while the server still has it: ` +
    `binlog-stream --start ${from.file}:4 (the start of the file that holds ${formatPos(from)}) or --start oldest, into a new --output directory or --target prefix, then restore with that archive; ` +
    `or take a new base backup while the archive runs, which it then covers.`
  );
}

/**
 * Every archived file from `from.file` on, for a store prefix written by the archiver (what the CLI
 * is pointed at with --binlogs). Stops before the first later file the archive does not hold from
 * its start (a gap).
 */
export async function archiveSourcesFrom(store: ObjectStore, prefix: string, from: BinlogPos): Promise<ReplaySource[]> {
  const segments = await listArchivedSegments(store, prefix);
  const files = [...new Set(segments.map((s) => s.file))].sort(compareBinlogFiles).filter((f) => compareBinlogFiles(f, from.file) >= 0);
  if (files[0] !== from.file) {
    const starts = [...segments].sort((a, b) => comparePos({ file: a.file, position: a.startPosition }, { file: b.file, position: b.startPosition }))[0];
    throw new DomainError(
      "PRECONDITION",
      `The archive at ${store.describe(prefix)} has no segment of ${from.file}, where the base backup's coordinates (${formatPos(from)}) are. It ${starts ? `starts at ${starts.file}:${starts.startPosition}` : "holds no segment at all"}. ${missingCoverageAdvice(from)}`,
    );
  }
  const first = segments.filter((s) => s.file === from.file).sort((a, b) => a.startPosition - b.startPosition)[0]!;
  if (first.startPosition > from.position) {
    throw new DomainError("PRECONDITION", `The archive holds ${from.file} only from position ${first.startPosition}, after the base backup's coordinates ${formatPos(from)}: it was started after the backup was taken. ${missingCoverageAdvice(from)}`);
  }
  const out = [files[0]!];
  for (const f of files.slice(1)) {
    if (segments.filter((s) => s.file === f).sort((a, b) => a.startPosition - b.startPosition)[0]!.startPosition !== 4) break;
    // a missing file in between is a gap too: stop before it
    if (fileNumber(f) !== fileNumber(out[out.length - 1]!) + 1) break;
    out.push(f);
  }
  return archivedFileSources(store, segments, out);
}

/**
 * A directory given to the CLI: an archive written by the archiver (segments with .meta.json,
 * possibly compressed; pass it opened as a local store) or plain binlog files copied from a server.
 */
export async function directorySources(dir: string, from: BinlogPos, store?: ObjectStore): Promise<ReplaySource[]> {
  const names = await fsp.readdir(dir);
  if (names.some((n) => n.endsWith(".meta.json"))) {
    if (!store) throw new DomainError("INVALID", `${dir} holds an archive (segments with .meta.json): open it as a local store.`);
    return archiveSourcesFrom(store, "", from);
  }
  const base = from.file.replace(/\.\d+$/, "");
  const files = names.filter((n) => n.startsWith(`${base}.`) && /\.\d+$/.test(n)).sort(compareBinlogFiles).filter((f) => compareBinlogFiles(f, from.file) >= 0);
  if (files[0] !== from.file) {
    throw new DomainError(
      "PRECONDITION",
      `${dir} has no ${from.file}, where the base backup's coordinates (${formatPos(from)}) are. Nothing was restored. Copy the server's binlogs from ${from.file} on into it, or point --binlogs at an archive binlog-stream wrote from ${formatPos(from)} or earlier (binlog-stream --start oldest, or --start ${from.file}:4).`,
    );
  }
  return localFileSources(files.map((f) => path.join(dir, f)));
}

type LiveOptions = {
  file: string;
  dir: string;
  store: ObjectStore;
  /** the file's shipped segments, asked again if a local one was shipped while opening */
  shipped: () => Promise<SegmentMeta[]>;
  formatDescription?: () => Promise<Buffer>;
};

/**
 * The file the archiver is writing: its shipped segments from the store, then the closed-but-not-
 * shipped and open segments in the archiver's working directory, up to the last durable checkpoint
 * (bytes after it may be torn).
 */
export function liveFileSource(opts: LiveOptions): ReplaySource {
  return {
    file: opts.file,
    formatDescription: opts.formatDescription,
    open: async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await openLive(opts);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT" && attempt < 3) continue;
          throw e;
        }
      }
    },
  };
}

async function openLive(opts: LiveOptions): Promise<Readable> {
  const state = await readState(opts.dir);
  const local: LocalSegment[] = [...(state?.pending ?? []), ...(state?.current ? [state.current] : [])].filter((s) => s.file === opts.file).sort((a, b) => a.startPosition - b.startPosition);
  // open the local files first: a segment shipped (and unlinked) after this point stays readable
  const handles = await Promise.all(local.map(async (s) => ({ seg: s, fh: await fsp.open(path.join(opts.dir, s.localName), "r") })));
  const closeAll = () => Promise.all(handles.map((h) => h.fh.close().catch(() => undefined)));
  try {
    const shipped = (await opts.shipped()).filter((s) => s.file === opts.file).sort((a, b) => a.startPosition - b.startPosition);
    let end = shipped.length ? shipped[shipped.length - 1]!.endPosition : -1;
    const parts: typeof handles = [];
    for (const h of handles) {
      if (end >= 0 && h.seg.endPosition <= end) continue; // shipped meanwhile
      if (end >= 0 && h.seg.startPosition !== end) throw new DomainError("PRECONDITION", `The archive of ${opts.file} has a gap between ${end} and ${h.seg.startPosition} (shipped segments and the archiver's working directory do not meet).`);
      parts.push(h);
      end = h.seg.endPosition;
    }
    if (!shipped.length && !parts.length) throw new DomainError("PRECONDITION", `Neither the archive nor the archiver's working directory holds ${opts.file}.`);
    const out = new PassThrough({ highWaterMark: CHUNK });
    (async () => {
      if (shipped.length) {
        const head = shipped[0]!.startPosition === 4 ? await openArchivedFile(opts.store, shipped, opts.file) : openSegmentChain(opts.store, shipped);
        await pipeline(head, out, { end: false });
      }
      for (const p of parts) {
        const len = p.seg.endPosition - p.seg.byteOffset;
        await pipeline(p.fh.createReadStream({ start: 0, end: len - 1, highWaterMark: CHUNK, autoClose: false }), out, { end: false });
      }
      out.end();
    })()
      .catch((e) => out.destroy(e))
      .finally(closeAll);
    return out;
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/**
 * Checked before a point-in-time restore from an archive: the archive must not break (a hole, or a
 * later file not archived from its start) between the base backup's coordinates and the target.
 * Without this the replay would stop at the hole after the base was restored, short of the target.
 * An archive that simply ends before a time target is not refused (nothing may have been written
 * after its last event); the replay then says where it ended.
 */
export async function checkArchiveReaches(store: ObjectStore, prefix: string, from: BinlogPos, until: PitrTarget): Promise<void> {
  const segments = await listArchivedSegments(store, prefix);
  const { ranges, gaps } = buildCoverage(segments.map((s) => ({ ...s, id: s.key, firstEventAt: s.firstEventAt ? new Date(s.firstEventAt) : null, lastEventAt: s.lastEventAt ? new Date(s.lastEventAt) : null })));
  const range = rangeContaining(ranges, from);
  if (!range) return; // the start checks name what is missing
  const gap = gaps.find((g) => comparePos(g.after, range.end) === 0);
  if (!gap) return;
  const after = range.segments.filter((s) => comparePos({ file: s.file, position: s.endPosition }, from) > 0);
  const reached =
    "time" in until
      ? // commit times are whole seconds: only an event of a later second proves that every commit of the target's second is before the gap
        after.some((s) => s.lastEventAt && s.lastEventAt.getTime() > Math.floor(until.time.getTime() / 1000) * 1000)
      : "gtid" in until
        ? after.some((s) => stateIncludes(s.gtidStateEnd, until.gtid))
        : comparePos(range.end, until.position) >= 0;
  if (reached) return;
  throw new DomainError(
    "PRECONDITION",
    `The archive at ${store.describe(prefix)} has a gap after ${formatPos(gap.after)}${gap.after.at ? ` (${gap.after.at.toISOString()})` : ""}, before ${describeTarget(until)}: ${gap.cause}. Nothing was restored. The latest point this backup reaches is ${formatPos(range.end)}${range.to ? ` (${range.to.toISOString()})` : ""}: restore to it or earlier, or use a base backup taken after the gap.`,
  );
}
