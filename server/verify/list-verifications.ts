import { db, parseJson } from "../db/client";
import type { Check } from "./checks";

export async function listVerifications(opts: { hostId?: string; backupId?: string; result?: "passed" | "failed"; limit?: number } = {}) {
  const rows = await db().verification.findMany({
    where: {
      ...(opts.backupId ? { backupId: opts.backupId } : {}),
      ...(opts.result ? { result: opts.result } : {}),
      ...(opts.hostId ? { backup: { hostId: opts.hostId } } : {}),
    },
    orderBy: { createdAt: "desc" },
    take: Math.min(opts.limit ?? 100, 500),
    include: { backup: { select: { id: true, finishedAt: true, engine: true, host: { select: { id: true, name: true } } } } },
  });
  return rows.map((r) => ({ ...r, checks: parseJson<Check[]>(r.checks, []) }));
}
