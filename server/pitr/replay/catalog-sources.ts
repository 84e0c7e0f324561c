import { compareBinlogFiles, type SegmentMeta } from "../../binlog";
import { archiveWorkDir } from "../../archive-runs/archive-run";
import type { BinlogSegment } from "../../db/generated/client";
import { db } from "../../db/client";
import { DomainError } from "../../errors";
import type { ObjectStore } from "../../storage/object-store";
import { openTargetStore } from "../../storage/open-store";
import type { PitrPlan } from "../plan";
import { comparePos, fileNumber } from "../positions";
import { archivedFileSources, borrowedFormatDescription, liveFileSource } from "./sources";
import type { ReplaySource } from "./types";

/** A catalog row as the archive reader wants it. */
function toMeta(r: BinlogSegment): SegmentMeta {
  return {
    flavor: "mariadb",
    file: r.fileName,
    startPosition: Number(r.startPos),
    endPosition: Number(r.endPos),
    byteOffset: Number(r.byteOffset),
    firstEventAt: r.firstEventAt,
    lastEventAt: r.lastEventAt,
    gtidFirst: r.gtidStart,
    gtidLast: r.gtidEnd,
    gtidStateEnd: r.gtidStateEnd,
    serverIds: r.serverId === null ? [] : [r.serverId],
    eventCount: r.eventCount,
    size: Number(r.sizeBytes),
    sha256: r.sha256,
    storedSize: Number(r.storedBytes),
    storedSha256: r.storedSha256 ?? "",
    compressed: r.compressed,
    compression: r.compressed ? "zstd" : "none",
    key: r.location,
    endedBy: r.endedBy as SegmentMeta["endedBy"],
    fileComplete: r.fileComplete,
    createdAt: r.createdAt,
  };
}

/**
 * One binlog file of a plan, as data (an agent gets it sealed): the storage target it was shipped
 * to, its shipped segments, the segments of files archived from their start (to lend a format
 * description to a file archived from mid-file), and whether its tail is still only in the
 * archiver's working directory on this machine (live).
 */
export type SourceSpec = { file: string; targetId: string; segments: SegmentMeta[]; lenders: SegmentMeta[]; live: boolean };

/** The files a plan replays, in order, each from one storage target (the catalog's view). */
export async function planSourceSpecs(hostId: string, plan: PitrPlan): Promise<SourceSpec[]> {
  const files = [...new Set([plan.from.file, ...plan.segments.map((s) => s.file)])].sort((a, b) => comparePos({ file: a, position: 0 }, { file: b, position: 0 }));
  for (let i = 1; i < files.length; i++) {
    if (fileNumber(files[i]!) !== fileNumber(files[i - 1]!) + 1) throw new DomainError("PRECONDITION", `The plan skips from ${files[i - 1]} to ${files[i]}: the archive is missing the files between them.`);
  }
  const rows = await db().binlogSegment.findMany({ where: { hostId, fileName: { in: files } }, orderBy: [{ fileName: "asc" }, { startPos: "asc" }] });
  // files archived from their start, to lend their format description to one archived from mid-file
  const fileStarts = await db().binlogSegment.findMany({ where: { hostId, startPos: 4n } });
  // the nearest later and earlier ones are what borrowedFormatDescription takes (so a spec stays small)
  const lenders = (targetId: string, file: string) => {
    const starts = fileStarts.filter((r) => r.targetId === targetId && r.fileName !== file).map(toMeta);
    const later = starts.filter((x) => compareBinlogFiles(x.file, file) > 0).sort((a, b) => compareBinlogFiles(a.file, b.file))[0];
    const earlier = starts.filter((x) => compareBinlogFiles(x.file, file) < 0).sort((a, b) => compareBinlogFiles(b.file, a.file))[0];
    return [later, earlier].filter((x): x is SegmentMeta => !!x);
  };
  const liveFiles = new Set(plan.segments.filter((s) => s.live).map((s) => s.file));
  const host = liveFiles.size ? await db().host.findUnique({ where: { id: hostId }, select: { archiveTargetId: true } }) : null;
  const out: SourceSpec[] = [];
  for (const file of files) {
    const segs = rows.filter((r) => r.fileName === file);
    const targets = [...new Set(segs.map((r) => r.targetId))];
    if (targets.length > 1) throw new DomainError("PRECONDITION", `${file} was archived to ${targets.length} different storage targets; replay reads one file from one target.`);
    if (liveFiles.has(file)) {
      const targetId = targets[0] ?? host?.archiveTargetId;
      if (!targetId) throw new DomainError("PRECONDITION", `The archiver's tail of ${file} has no storage target to read its shipped part from.`);
      out.push({ file, targetId, segments: segs.map(toMeta), lenders: lenders(targetId, file), live: true });
      continue;
    }
    if (!segs.length) throw new DomainError("PRECONDITION", `The archive has no segment of ${file}.`);
    out.push({ file, targetId: targets[0]!, segments: segs.map(toMeta), lenders: lenders(targets[0]!, file), live: false });
  }
  return out;
}

/** A segment as JSON brought it (dates as strings), as the readers want it. */
const revive = (m: SegmentMeta): SegmentMeta => ({
  ...m,
  firstEventAt: m.firstEventAt === null ? null : new Date(m.firstEventAt),
  lastEventAt: m.lastEventAt === null ? null : new Date(m.lastEventAt),
  createdAt: new Date(m.createdAt),
});

/**
 * Replay sources from specs: each file whole (replay reads its FORMAT_DESCRIPTION) from its storage
 * target. A live file also needs `live` (the archiver's working directory, only on the machine the
 * archiver runs on); without it a live spec is refused.
 */
export async function specSources(
  specs: SourceSpec[],
  storeOf: (targetId: string) => Promise<ObjectStore>,
  live?: { dir: string; shipped: (file: string) => Promise<SegmentMeta[]> },
): Promise<ReplaySource[]> {
  const out: ReplaySource[] = [];
  for (const spec of specs) {
    const store = await storeOf(spec.targetId);
    const lenders = spec.lenders.map(revive);
    if (spec.live) {
      if (!live) throw new DomainError("PRECONDITION", `The tail of ${spec.file} is only in the archiver's working directory on the dashboard's machine.`);
      out.push(liveFileSource({ file: spec.file, dir: live.dir, store, shipped: () => live.shipped(spec.file), formatDescription: borrowedFormatDescription(store, lenders, spec.file, live.dir) }));
      continue;
    }
    const [src] = archivedFileSources(store, spec.segments.map(revive), [spec.file]);
    if (src!.formatDescription) src!.formatDescription = borrowedFormatDescription(store, lenders, spec.file, live?.dir);
    out.push(src!);
  }
  return out;
}

/**
 * The binlog files a plan replays, as sources: each file whole (replay reads its FORMAT_DESCRIPTION),
 * from the storage target its segments were shipped to; the file the archiver is still writing
 * also from its working directory (the plan's live tail).
 */
export async function planSources(hostId: string, plan: PitrPlan): Promise<ReplaySource[]> {
  const stores = new Map<string, ObjectStore>();
  const storeOf = async (targetId: string) => {
    let s = stores.get(targetId);
    if (!s) {
      s = (await openTargetStore(targetId)).store;
      stores.set(targetId, s);
    }
    return s;
  };
  return specSources(await planSourceSpecs(hostId, plan), storeOf, {
    dir: archiveWorkDir(hostId),
    shipped: async (file) => (await db().binlogSegment.findMany({ where: { hostId, fileName: file }, orderBy: { startPos: "asc" } })).map(toMeta),
  });
}
