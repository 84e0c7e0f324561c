import type { SegmentMeta } from "../../binlog";
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
 * The binlog files a plan replays, as sources: each file whole (replay reads its FORMAT_DESCRIPTION),
 * from the storage target its segments were shipped to; the file the archiver is still writing
 * also from its working directory (the plan's live tail).
 */
export async function planSources(hostId: string, plan: PitrPlan): Promise<ReplaySource[]> {
  const files = [...new Set([plan.from.file, ...plan.segments.map((s) => s.file)])].sort((a, b) => comparePos({ file: a, position: 0 }, { file: b, position: 0 }));
  for (let i = 1; i < files.length; i++) {
    if (fileNumber(files[i]!) !== fileNumber(files[i - 1]!) + 1) throw new DomainError("PRECONDITION", `The plan skips from ${files[i - 1]} to ${files[i]}: the archive is missing the files between them.`);
  }
  const rows = await db().binlogSegment.findMany({ where: { hostId, fileName: { in: files } }, orderBy: [{ fileName: "asc" }, { startPos: "asc" }] });
  const stores = new Map<string, ObjectStore>();
  const storeOf = async (targetId: string) => {
    let s = stores.get(targetId);
    if (!s) {
      s = (await openTargetStore(targetId)).store;
      stores.set(targetId, s);
    }
    return s;
  };
  // files archived from their start, to lend their format description to one archived from mid-file
  const fileStarts = await db().binlogSegment.findMany({ where: { hostId, startPos: 4n } });
  const lenders = (targetId: string) => fileStarts.filter((r) => r.targetId === targetId).map(toMeta);
  const liveFiles = new Set(plan.segments.filter((s) => s.live).map((s) => s.file));
  const host = liveFiles.size ? await db().host.findUnique({ where: { id: hostId }, select: { archiveTargetId: true } }) : null;
  const out: ReplaySource[] = [];
  for (const file of files) {
    const segs = rows.filter((r) => r.fileName === file);
    const targets = [...new Set(segs.map((r) => r.targetId))];
    if (targets.length > 1) throw new DomainError("PRECONDITION", `${file} was archived to ${targets.length} different storage targets; replay reads one file from one target.`);
    if (liveFiles.has(file)) {
      const targetId = targets[0] ?? host?.archiveTargetId;
      if (!targetId) throw new DomainError("PRECONDITION", `The archiver's tail of ${file} has no storage target to read its shipped part from.`);
      const store = await storeOf(targetId);
      out.push(
        liveFileSource({
          file,
          dir: archiveWorkDir(hostId),
          store,
          shipped: async () => (await db().binlogSegment.findMany({ where: { hostId, fileName: file }, orderBy: { startPos: "asc" } })).map(toMeta),
          formatDescription: borrowedFormatDescription(store, lenders(targetId), file, archiveWorkDir(hostId)),
        }),
      );
      continue;
    }
    if (!segs.length) throw new DomainError("PRECONDITION", `The archive has no segment of ${file}.`);
    const store = await storeOf(targets[0]!);
    const [src] = archivedFileSources(store, segs.map(toMeta), [file]);
    if (src!.formatDescription) src!.formatDescription = borrowedFormatDescription(store, lenders(targets[0]!), file, archiveWorkDir(hostId));
    out.push(src!);
  }
  return out;
}
