import type { Prisma } from "../db/client";
import { db, parseJson } from "../db/client";
import { notFound } from "../errors";
import type { StoredProgress } from "../runner/progress-tracker";

export type RunFilters = {
  hostId?: string;
  state?: string[];
  kind?: string[];
  from?: Date;
  to?: Date;
  limit?: number;
  cursor?: string;
};

function present<T extends { params: string; progress: string; result: string | null }>(r: T) {
  const result = parseJson<Record<string, unknown> | null>(r.result, null);
  if (result) delete result.workspace;
  return { ...r, params: parseJson<Record<string, unknown>>(r.params, {}), progress: parseJson<Partial<StoredProgress>>(r.progress, {}), result };
}

export async function listRuns(f: RunFilters = {}) {
  const limit = Math.min(f.limit ?? 50, 200);
  const where: Prisma.RunWhereInput = {
    ...(f.hostId ? { hostId: f.hostId } : {}),
    ...(f.state?.length ? { state: { in: f.state } } : {}),
    ...(f.kind?.length ? { kind: { in: f.kind } } : {}),
    ...(f.from || f.to ? { queuedAt: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lte: f.to } : {}) } } : {}),
  };
  const rows = await db().run.findMany({
    where,
    orderBy: [{ queuedAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    ...(f.cursor ? { cursor: { id: f.cursor }, skip: 1 } : {}),
    include: { host: { select: { id: true, name: true } }, createdBy: { select: { email: true } } },
  });
  const items = rows.slice(0, limit).map(present);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : undefined };
}

export async function getRun(runId: string) {
  const r = await db().run.findUnique({
    where: { id: runId },
    include: { host: { select: { id: true, name: true } }, createdBy: { select: { email: true } }, policy: { select: { id: true, name: true } } },
  });
  if (!r) throw notFound("Run", runId);
  const logs = await db().runLog.findMany({ where: { runId }, orderBy: { id: "asc" }, take: 2000 });
  return { ...present(r), logs };
}
