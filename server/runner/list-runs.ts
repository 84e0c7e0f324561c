import type { Prisma } from "../db/client";
import { db, parseJson } from "../db/client";
import { notFound } from "../errors";
import type { StoredProgress } from "./progress-tracker";

export type RunFilters = {
  hostId?: string;
  policyId?: string;
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
    ...(f.policyId ? { policyId: f.policyId } : {}),
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
  const run = present(r);
  return { ...run, logs, names: await paramNames(run.params) };
}

/** Names for the ids a run's parameters hold (hosts, target, key), so the run page shows words, not ids. */
async function paramNames(params: Record<string, unknown>): Promise<Record<string, string>> {
  const id = (k: string) => (typeof params[k] === "string" && params[k] ? (params[k] as string) : null);
  const hostIds = ["hostId", "targetHostId", "sourceHostId"].map(id).filter((x): x is string => !!x);
  const [hosts, target, key] = await Promise.all([
    hostIds.length ? db().host.findMany({ where: { id: { in: hostIds } }, select: { id: true, name: true } }) : [],
    id("targetId") ? db().storageTarget.findUnique({ where: { id: id("targetId")! }, select: { id: true, name: true } }) : null,
    id("encryptionKeyId") ? db().encryptionKey.findUnique({ where: { id: id("encryptionKeyId")! }, select: { id: true, name: true } }) : null,
  ]);
  const names: Record<string, string> = {};
  for (const h of hosts) names[h.id] = h.name;
  if (target) names[target.id] = target.name;
  if (key) names[key.id] = key.name;
  return names;
}
