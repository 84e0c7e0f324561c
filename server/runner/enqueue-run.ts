import type { Prisma } from "../db/client";
import { db } from "../db/client";
import { newId } from "../util/ids";

export type EnqueueOptions = {
  kind: string;
  hostId?: string | null;
  policyId?: string | null;
  backupId?: string | null;
  params?: Record<string, unknown>;
  createdById?: string | null;
  /** a run with the same key is never created twice (schedules use the due time) */
  idempotencyKey?: string;
  maxAttempts?: number;
  notBefore?: Date;
};

type Tx = Pick<ReturnType<typeof db>, "run">;

/** Queues a run for the runner. With an idempotency key, returns the existing run instead of a duplicate. */
export async function enqueueRun(opts: EnqueueOptions, tx: Tx = db()) {
  if (opts.idempotencyKey) {
    const existing = await tx.run.findUnique({ where: { idempotencyKey: opts.idempotencyKey } });
    if (existing) return existing;
  }
  const data: Prisma.RunUncheckedCreateInput = {
    id: newId("r"),
    kind: opts.kind,
    hostId: opts.hostId ?? null,
    policyId: opts.policyId ?? null,
    backupId: opts.backupId ?? null,
    params: JSON.stringify(opts.params ?? {}),
    createdById: opts.createdById ?? null,
    idempotencyKey: opts.idempotencyKey ?? null,
    maxAttempts: opts.maxAttempts ?? 3,
    notBefore: opts.notBefore ?? new Date(),
  };
  try {
    return await tx.run.create({ data });
  } catch (e) {
    // lost a race on the idempotency key: the other insert won, return it
    if (opts.idempotencyKey && (e as { code?: string }).code === "P2002") {
      const existing = await tx.run.findUnique({ where: { idempotencyKey: opts.idempotencyKey } });
      if (existing) return existing;
    }
    throw e;
  }
}
