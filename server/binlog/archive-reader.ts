import { PassThrough, Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HashCounter } from "../artifact/hashing";
import { openObjectReader } from "../artifact/object-io";
import { DomainError } from "../errors";
import type { ObjectStore } from "../storage/object-store";
import type { SegmentMeta } from "./archiver-types";
import { FLAGS_OFFSET } from "./event-types";
import { parseSegmentMeta } from "./segment-meta";
import { compareBinlogFiles, normalizeStorePrefix, parseSegmentMetaKey } from "./segment-naming";

/** Every complete segment under prefix (those with their metadata object), in file and position order. */
export async function listArchivedSegments(store: ObjectStore, prefix: string): Promise<SegmentMeta[]> {
  const p = normalizeStorePrefix(prefix);
  const out: SegmentMeta[] = [];
  for await (const o of store.list(p)) {
    if (!parseSegmentMetaKey(o.key)) continue;
    out.push(parseSegmentMeta((await store.getBuffer(o.key)).toString("utf8")));
  }
  return out.sort((a, b) => compareBinlogFiles(a.file, b.file) || a.startPosition - b.startPosition);
}

/** Offset in a binlog file of the FORMAT_DESCRIPTION's flags byte (right after the magic and header fields). */
const FDE_FLAGS_BYTE = 4 + FLAGS_OFFSET;

/**
 * Streams one archived binlog file, reassembled from its segments and verified against their sha256
 * (stored and raw). Fails when the segments do not cover the file contiguously from its start. When
 * the server closed the file but its first segment was shipped while the file was still open, the
 * FORMAT_DESCRIPTION's "in use" flag is cleared, as the server did in its own copy.
 */
export async function openArchivedFile(store: ObjectStore, segments: SegmentMeta[], file: string): Promise<Readable> {
  const segs = segments.filter((s) => s.file === file).sort((a, b) => a.startPosition - b.startPosition);
  if (segs.length === 0) throw new DomainError("NOT_FOUND", `The archive has no segment of ${file}.`);
  if (segs[0]!.startPosition !== 4) throw new DomainError("PRECONDITION", `The archive of ${file} starts at position ${segs[0]!.startPosition}, not at the file's start: the archiver began mid-file.`);
  for (let i = 1; i < segs.length; i++)
    if (segs[i]!.startPosition !== segs[i - 1]!.endPosition)
      throw new DomainError("PRECONDITION", `The archive of ${file} has a gap between positions ${segs[i - 1]!.endPosition} and ${segs[i]!.startPosition}.`);
  const fileClosed = segs[segs.length - 1]!.fileComplete;
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  (async () => {
    let offset = 0;
    for (const s of segs) {
      const src = await openObjectReader(store, { path: s.key, size: s.storedSize, sha256: s.storedSha256 }, { compression: s.compression, key: null });
      const raw = new HashCounter();
      const fix = new Transform({
        transform(chunk: Buffer, _e, cb) {
          let c = chunk;
          if (fileClosed && offset <= FDE_FLAGS_BYTE && offset + c.length > FDE_FLAGS_BYTE) {
            c = Buffer.from(c);
            c[FDE_FLAGS_BYTE - offset] = 0;
          }
          offset += chunk.length;
          cb(null, c);
        },
      });
      await pipeline(src, raw, fix, out, { end: false });
      if (raw.bytes !== s.size || raw.sha256 !== s.sha256)
        throw new DomainError("INVALID", `Archived segment ${store.describe(s.key)} does not match its metadata (raw ${raw.bytes} bytes, sha256 ${raw.sha256.slice(0, 12)}…; expected ${s.size} bytes, ${s.sha256.slice(0, 12)}…).`);
    }
    out.end();
  })().catch((e) => out.destroy(e));
  return out;
}
