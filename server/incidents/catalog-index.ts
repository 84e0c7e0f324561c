import type { SegmentMeta } from "../binlog/archiver-types";
import { db } from "../db/client";
import { errorMessage } from "../errors";
import type { ObjectStore } from "../storage/object-store";
import { scanSegments } from "./read-archive";
import { DEFAULT_ROW_THRESHOLD, type Incident } from "./scan-incidents";

/** The row threshold of a host: the smallest of its archiving policies (default 10,000). */
export async function hostRowThreshold(hostId: string): Promise<number> {
  const p = await db().policy.findMany({ where: { hostId, binlogArchiving: true }, select: { incidentRows: true } });
  return p.length ? Math.min(...p.map((x) => x.incidentRows)) : DEFAULT_ROW_THRESHOLD;
}

async function store(hostId: string, i: Incident, tx: Pick<ReturnType<typeof db>, "binlogIncident"> = db()) {
  const key = { hostId, fileName: i.file, eventPos: BigInt(i.eventPosition), kind: i.kind, tableName: i.tables[0] ?? "" };
  const data = {
    occurredAt: i.at,
    gtid: i.gtid,
    startPos: BigInt(i.startPosition),
    endPos: BigInt(i.endPosition),
    tables: i.tables.length ? `|${i.tables.join("|")}|` : "",
    schemaName: i.database,
    statement: i.statement,
    rowCount: i.rows,
    bytes: BigInt(i.bytes),
    threadId: i.threadId,
    serverId: i.serverId,
  };
  await tx.binlogIncident.upsert({ where: { hostId_fileName_eventPos_kind_tableName: key }, update: data, create: { ...key, ...data } });
}

export type SegmentRow = { id: string; meta: SegmentMeta };

/**
 * Reads one archived segment for incidents and records them with the segment as scanned. A
 * segment already scanned is skipped. Never throws for what is in the segment: an unreadable one is
 * recorded as scanned with its error, so archiving goes on and the search says what was not read.
 */
export async function indexSegment(hostId: string, objects: ObjectStore, seg: SegmentRow, opts: { rowThreshold?: number; signal?: AbortSignal } = {}): Promise<{ incidents: number; bytes: number; ms: number; error: string | null }> {
  const done = await db().binlogIncidentScan.findUnique({ where: { segmentId: seg.id } });
  if (done) return { incidents: done.incidents, bytes: Number(done.bytes), ms: done.ms, error: done.error };
  const t0 = performance.now();
  let bytes = 0;
  let n = 0;
  let error: string | null = null;
  try {
    for await (const i of scanSegments(objects, [seg.meta], { rowThreshold: opts.rowThreshold ?? (await hostRowThreshold(hostId)), onBytes: (b) => (bytes += b) })) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("cancelled");
      await store(hostId, i);
      n++;
    }
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    error = errorMessage(e);
  }
  const ms = Math.round(performance.now() - t0);
  await db().binlogIncidentScan.upsert({ where: { segmentId: seg.id }, update: { incidents: n, bytes: BigInt(bytes), ms, error }, create: { segmentId: seg.id, incidents: n, bytes: BigInt(bytes), ms, error } });
  return { incidents: n, bytes, ms, error };
}

/**
 * Records what another process read from a segment (a runner agent indexes the segments it ships,
 * where they are): its incidents and the segment as scanned, the same rows indexSegment writes.
 */
export async function recordSegmentScan(hostId: string, segmentId: string, incidents: Incident[], scan: { bytes: number; ms: number; error: string | null }) {
  if (await db().binlogIncidentScan.findUnique({ where: { segmentId } })) return;
  await db().$transaction(async (tx) => {
    for (const i of incidents) await store(hostId, i, tx);
    await tx.binlogIncidentScan.upsert({ where: { segmentId }, update: { incidents: incidents.length, bytes: BigInt(scan.bytes), ms: scan.ms, error: scan.error }, create: { segmentId, incidents: incidents.length, bytes: BigInt(scan.bytes), ms: scan.ms, error: scan.error } });
  });
}

/** A catalog segment row as the reader needs it. */
export function segmentMetaOf(s: {
  fileName: string;
  startPos: bigint;
  endPos: bigint;
  location: string;
  sizeBytes: bigint;
  storedBytes: bigint;
  sha256: string;
  storedSha256: string | null;
  compressed: boolean;
  byteOffset: bigint;
}): SegmentMeta {
  return {
    flavor: "mariadb",
    file: s.fileName,
    startPosition: Number(s.startPos),
    endPosition: Number(s.endPos),
    byteOffset: Number(s.byteOffset),
    firstEventAt: null,
    lastEventAt: null,
    gtidFirst: null,
    gtidLast: null,
    gtidStateEnd: null,
    serverIds: [],
    eventCount: 0,
    size: Number(s.sizeBytes),
    sha256: s.sha256,
    storedSize: Number(s.storedBytes),
    storedSha256: s.storedSha256 ?? "",
    compressed: s.compressed,
    compression: s.compressed ? "zstd" : "none",
    key: s.location,
    endedBy: "rotate",
    fileComplete: true,
    createdAt: new Date(),
  } as SegmentMeta;
}
