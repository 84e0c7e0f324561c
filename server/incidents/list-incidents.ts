import { z } from "zod";
import { db } from "../db/client";
import { DomainError, notFound } from "../errors";
import { coverageSegments, planHostPitr } from "../pitr/catalog-segments";
import type { PitrPlan } from "../pitr/plan";
import { comparePos, formatPos } from "../pitr/positions";
import { INCIDENT_KINDS, type IncidentKind } from "./scan-incidents";

const time = z
  .string()
  .trim()
  .refine((s) => !Number.isNaN(new Date(s).getTime()), "Not a time: use ISO 8601, e.g. 2026-11-20T14:03:00Z.")
  .optional();

export const listIncidentsInput = z.object({
  hostId: z.string().min(1),
  /** "db.table", "db." or "table": matched against every table an incident names */
  table: z.string().trim().max(200).optional(),
  schema: z.string().trim().max(64).optional(),
  kinds: z.array(z.enum(INCIDENT_KINDS as [IncidentKind, ...IncidentKind[]])).default([]),
  since: time,
  until: time,
  limit: z.number().int().min(1).max(1000).default(200),
});

export type IncidentView = {
  id: string;
  kind: IncidentKind;
  at: string;
  gtid: string | null;
  file: string;
  startPosition: number;
  endPosition: number;
  eventPosition: number;
  table: string | null;
  tables: string[];
  schema: string | null;
  statement: string | null;
  rows: number | null;
  bytes: number;
  threadId: number | null;
  serverId: number | null;
};

function view(r: Awaited<ReturnType<ReturnType<typeof db>["binlogIncident"]["findFirstOrThrow"]>>): IncidentView {
  return {
    id: r.id,
    kind: r.kind as IncidentKind,
    at: r.occurredAt.toISOString(),
    gtid: r.gtid,
    file: r.fileName,
    startPosition: Number(r.startPos),
    endPosition: Number(r.endPos),
    eventPosition: Number(r.eventPos),
    table: r.tableName || null,
    tables: r.tables.split("|").filter(Boolean),
    schema: r.schemaName,
    statement: r.statement,
    rows: r.rowCount,
    bytes: Number(r.bytes),
    threadId: r.threadId,
    serverId: r.serverId,
  };
}

/** The host's indexed incidents, newest last, filtered like the search box; and how much of the archive was read. */
export async function listIncidents(input: z.input<typeof listIncidentsInput>) {
  const v = listIncidentsInput.parse(input);
  const host = await db().host.findUnique({ where: { id: v.hostId } });
  if (!host) throw notFound("Host", v.hostId);
  const t = v.table?.replace(/`/g, "");
  const tableFilter = !t ? {} : t.includes(".") ? { tables: { contains: t.endsWith(".") ? `|${t}` : `|${t}|` } } : { tables: { contains: `.${t}|` } };
  const rows = await db().binlogIncident.findMany({
    where: {
      hostId: host.id,
      ...(v.kinds.length ? { kind: { in: v.kinds } } : {}),
      ...(v.schema ? { schemaName: v.schema } : {}),
      ...tableFilter,
      ...(v.since || v.until ? { occurredAt: { ...(v.since ? { gte: new Date(v.since) } : {}), ...(v.until ? { lte: new Date(v.until) } : {}) } } : {}),
    },
    orderBy: [{ occurredAt: "asc" }, { fileName: "asc" }, { startPos: "asc" }],
    take: v.limit,
  });
  const segments = await db().binlogSegment.count({ where: { hostId: host.id } });
  const scans = await db().binlogIncidentScan.findMany({ where: { segment: { hostId: host.id } }, select: { error: true } });
  return { incidents: rows.map(view), segments, indexedSegments: scans.length, unreadableSegments: scans.filter((s) => s.error).length };
}

export const restorePlanInput = z.object({ incidentId: z.string().min(1), action: z.enum(["before", "skip"]) });

export type IncidentRestorePlan = {
  incident: IncidentView;
  action: "before" | "skip";
  /** what to pass to pitr.start */
  untilPosition: string;
  skipGtid: string | null;
  plan: PitrPlan;
  summary: string;
};

/**
 * The point-in-time restore that undoes an incident, planned (nothing runs): "before" stops at the
 * first event of its transaction, exclusive; "skip" replays the whole archive except that
 * transaction. The plan names the base backup and the segments; pitr.start runs it.
 */
export async function incidentRestorePlan(input: z.input<typeof restorePlanInput>): Promise<IncidentRestorePlan> {
  const v = restorePlanInput.parse(input);
  const row = await db().binlogIncident.findUnique({ where: { id: v.incidentId } });
  if (!row) throw notFound("Incident", v.incidentId);
  const i = view(row);
  const what = `${i.kind.replace(/_/g, " ")} of ${i.table ?? i.schema ?? "?"} at ${i.at}${i.gtid ? ` (GTID ${i.gtid})` : ""}`;
  if (v.action === "before") {
    const untilPosition = formatPos({ file: i.file, position: i.startPosition });
    const plan = await planHostPitr(row.hostId, { position: { file: i.file, position: i.startPosition } });
    return { incident: i, action: v.action, untilPosition, skipGtid: null, plan, summary: `Restore to just before the ${what}: stop at ${untilPosition}, just before GTID ${i.gtid ?? "(none)"}; the transaction itself is not applied. ${plan.summary}` };
  }
  if (!i.gtid) throw new DomainError("PRECONDITION", `The ${what} has no GTID in the binlog, so replay cannot tell its transaction apart to skip it: restore to just before it instead.`);
  const end = await latestArchivedPosition(row.hostId);
  if (!end || comparePos(end, { file: i.file, position: i.endPosition }) < 0) throw new DomainError("PRECONDITION", `The archive does not reach past the ${what} yet: wait until the archiver has shipped it.`);
  const untilPosition = formatPos(end);
  const plan = await planHostPitr(row.hostId, { position: end });
  return { incident: i, action: v.action, untilPosition, skipGtid: i.gtid, plan, summary: `Restore everything archived (up to ${untilPosition}) except the ${what}: that one transaction is read and not applied. ${plan.summary}` };
}

/** The end of the newest archived segment (shipped, or durable in the running archiver's working directory). */
export async function latestArchivedPosition(hostId: string) {
  const segs = await coverageSegments(hostId);
  let best: { file: string; position: number } | null = null;
  for (const s of segs) {
    const p = { file: s.file, position: s.endPosition };
    if (!best || comparePos(p, best) > 0) best = p;
  }
  return best;
}
