import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { openObjectReader } from "../artifact/object-io";
import { listArchivedSegments } from "../binlog/archive-reader";
import type { SegmentMeta } from "../binlog/archiver-types";
import { readEvents } from "../binlog/read-events";
import { compareBinlogFiles } from "../binlog/segment-naming";
import { DomainError } from "../errors";
import { LocalStore } from "../storage/local-store";
import type { ObjectStore } from "../storage/object-store";
import { scanIncidents, type Incident, type ScanOptions } from "./scan-incidents";

const CHUNK = 1 << 20;

/** The raw bytes of consecutive segments of one file, one after the other. */
async function* segmentBytes(store: ObjectStore, segs: SegmentMeta[]): AsyncGenerator<Buffer> {
  for (const s of segs) {
    const src = await openObjectReader(store, { path: s.key, size: s.storedSize, sha256: s.storedSha256 || undefined }, { compression: s.compression, key: null });
    for await (const c of src) yield c as Buffer;
  }
}

/** Segments grouped into runs that continue each other (same file, no hole), in binlog order. */
export function contiguousRuns(segments: SegmentMeta[]): SegmentMeta[][] {
  const sorted = [...segments].sort((a, b) => compareBinlogFiles(a.file, b.file) || a.startPosition - b.startPosition);
  const runs: SegmentMeta[][] = [];
  for (const s of sorted) {
    const last = runs[runs.length - 1];
    const prev = last?.[last.length - 1];
    if (prev && prev.file === s.file && prev.endPosition === s.startPosition) last!.push(s);
    else runs.push([s]);
  }
  return runs;
}

/** Incidents of some archived segments (a transaction is seen whole when its segments are given together). */
export async function* scanSegments(store: ObjectStore, segments: SegmentMeta[], opts: ScanOptions & { onBytes?: (n: number) => void } = {}): AsyncGenerator<Incident> {
  for (const run of contiguousRuns(segments)) {
    const file = run[0]!.file;
    const events = readEvents(segmentBytes(store, run), { fileName: file });
    const counted = opts.onBytes ? countBytes(events, opts.onBytes) : events;
    yield* scanIncidents(counted, { ...opts, fileName: file });
  }
}

async function* countBytes<T extends { raw: Buffer }>(it: AsyncIterable<T>, on: (n: number) => void): AsyncGenerator<T> {
  for await (const e of it) {
    on(e.raw.length);
    yield e;
  }
}

/**
 * The incidents in a directory given to the CLI: an archive binlog-stream wrote (segments with
 * .meta.json, compressed or not) or plain binlog files copied from a server (binlog.000042 ...).
 */
export async function* scanDirectory(dir: string, opts: ScanOptions & { onBytes?: (n: number) => void } = {}): AsyncGenerator<Incident> {
  const abs = path.resolve(dir);
  if (!fs.statSync(abs, { throwIfNoEntry: false })?.isDirectory()) throw new DomainError("NOT_FOUND", `--binlogs ${abs}: no such directory (give the directory binlog-stream --output wrote, or a directory of binlog files).`);
  const names = await fsp.readdir(abs);
  if (names.some((n) => n.endsWith(".meta.json"))) {
    const store = new LocalStore(abs);
    // a segment's data lies next to its .meta.json, whatever prefix the key was written under
    const segs = (await listArchivedSegments(store, "")).map((m) => ({ ...m, key: path.basename(m.key) }));
    yield* scanSegments(store, segs, opts);
    return;
  }
  const files = names.filter((n) => /\.\d{6,}$/.test(n) && fs.statSync(path.join(abs, n)).isFile()).sort(compareBinlogFiles);
  if (!files.length) throw new DomainError("NOT_FOUND", `${abs} holds neither an archive (segments with .meta.json) nor binlog files (name.000001 ...).`);
  for (const f of files) {
    const events = readEvents(fs.createReadStream(path.join(abs, f), { highWaterMark: CHUNK }), { fileName: f });
    yield* scanIncidents(opts.onBytes ? countBytes(events, opts.onBytes) : events, { ...opts, fileName: f });
  }
}
