import { db, parseJson } from "../db/client";

export type ListAuditOptions = { limit?: number; cursor?: number; action?: string; actor?: string; targetType?: string };

export async function listAuditEvents(opts: ListAuditOptions = {}) {
  const limit = Math.min(opts.limit ?? 50, 200);
  const rows = await db().auditEvent.findMany({
    where: {
      ...(opts.action ? { action: { contains: opts.action } } : {}),
      ...(opts.actor ? { actorEmail: { contains: opts.actor } } : {}),
      ...(opts.targetType ? { targetType: opts.targetType } : {}),
      ...(opts.cursor ? { id: { lt: opts.cursor } } : {}),
    },
    orderBy: { id: "desc" },
    take: limit + 1,
  });
  const items = rows.slice(0, limit).map((r) => ({ ...r, details: parseJson<Record<string, unknown>>(r.details, {}) }));
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : undefined };
}
