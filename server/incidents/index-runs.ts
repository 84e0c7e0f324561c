import { recordAudit, type Actor } from "../audit/record";
import { db } from "../db/client";
import { DomainError, notFound } from "../errors";
import type { RunKind } from "../runner/run-kinds";
import { enqueueRun } from "../runner/enqueue-run";
import { openTargetStore } from "../storage/open-store";
import type { ObjectStore } from "../storage/object-store";
import type { WorkContext } from "../work-context";
import { hostRowThreshold, indexSegment, segmentMetaOf, type SegmentRow } from "./catalog-index";

/** Called by the archive run after each shipped segment: incidents are indexed as binlogs are archived. */
export async function indexShippedSegment(ctx: Pick<WorkContext, "log">, hostId: string, store: ObjectStore, seg: SegmentRow) {
  try {
    const r = await indexSegment(hostId, store, seg);
    if (r.error) ctx.log("warn", `Incident index: ${seg.meta.file} ${seg.meta.startPosition}-${seg.meta.endPosition} could not be read (${r.error}); the incident search does not cover it.`);
    else if (r.incidents) ctx.log("info", `Incident index: ${r.incidents} incident(s) in ${seg.meta.file} ${seg.meta.startPosition}-${seg.meta.endPosition}.`);
  } catch (e) {
    // the archive goes on; a backfill (incidents.reindex) reads the segment later
    ctx.log("warn", `Incident index: ${seg.meta.file} ${seg.meta.startPosition} not indexed: ${(e as Error).message}`);
  }
}

export type IndexParams = { hostId: string };

/**
 * The "incident-index" run: reads every archived segment of a host that was not read for
 * incidents yet (an archive older than the index, or segments whose indexing failed while
 * archiving), oldest first, with progress in bytes and cancellation between events.
 */
export const incidentIndexRunKind: RunKind<IndexParams> = {
  kind: "incident-index",
  async execute(ctx) {
    const host = await db().host.findUnique({ where: { id: ctx.params.hostId } });
    if (!host) throw new DomainError("NOT_FOUND", "The host of this incident index run was deleted.");
    const segs = await db().binlogSegment.findMany({ where: { hostId: host.id, incidentScan: null }, orderBy: [{ fileName: "asc" }, { startPos: "asc" }] });
    const total = segs.reduce((n, s) => n + Number(s.sizeBytes), 0);
    const rowThreshold = await hostRowThreshold(host.id);
    ctx.log("info", `Indexing ${segs.length} archived segment(s) of ${host.name} (${total} bytes) for incidents; DELETE/UPDATE over ${rowThreshold} rows.`);
    const stores = new Map<string, ObjectStore>();
    let done = 0;
    let incidents = 0;
    let failed = 0;
    const t0 = performance.now();
    for (const s of segs) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error("cancelled");
      let store = stores.get(s.targetId);
      if (!store) {
        store = (await openTargetStore(s.targetId)).store;
        stores.set(s.targetId, store);
      }
      ctx.progress({ phase: "indexing", bytesDone: done, bytesTotal: total, detail: `${s.fileName}:${s.startPos}` });
      const r = await indexSegment(host.id, store, { id: s.id, meta: segmentMetaOf(s) }, { rowThreshold, signal: ctx.signal });
      if (r.error) {
        failed++;
        ctx.log("warn", `${s.fileName} ${s.startPos}-${s.endPos}: ${r.error}`);
      }
      incidents += r.incidents;
      done += Number(s.sizeBytes);
    }
    const secs = (performance.now() - t0) / 1000;
    ctx.progress({ phase: "indexed", bytesDone: done, bytesTotal: total });
    ctx.log("info", `Indexed ${segs.length} segment(s), ${incidents} incident(s)${failed ? `, ${failed} unreadable` : ""}, ${(done / 1e6 / Math.max(secs, 0.001)).toFixed(1)} MB/s.`);
    return { segments: segs.length, incidents, failed, bytes: done, ms: Math.round(secs * 1000) };
  },
};

/** Queues the backfill of a host's incident index. */
export async function startIncidentIndex(opts: { hostId: string; actor: Actor }) {
  const host = await db().host.findUnique({ where: { id: opts.hostId } });
  if (!host) throw notFound("Host", opts.hostId);
  const run = await enqueueRun({ kind: "incident-index", hostId: host.id, params: { hostId: host.id }, createdById: "id" in opts.actor ? opts.actor.id : null, maxAttempts: 2 });
  await recordAudit(opts.actor, "incidents.reindex", { type: "run", id: run.id }, { host: host.name });
  return run;
}
