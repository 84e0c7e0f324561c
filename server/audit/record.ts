import type { Prisma } from "../db/client";
import { db } from "../db/client";

export type Actor = { id: string; email: string } | { system: string };

type Tx = Pick<ReturnType<typeof db>, "auditEvent">;

/**
 * Writes one AuditEvent. Pass the transaction client when the change itself is in a transaction so
 * that the change and its audit record land together.
 */
export async function recordAudit(
  actor: Actor,
  action: string,
  target: { type?: string; id?: string | null } = {},
  details: Record<string, unknown> = {},
  tx: Tx = db(),
): Promise<void> {
  const data: Prisma.AuditEventCreateInput = {
    actorId: "id" in actor ? actor.id : null,
    actorEmail: "id" in actor ? actor.email : `system:${actor.system}`,
    action,
    targetType: target.type ?? null,
    targetId: target.id ?? null,
    details: JSON.stringify(details, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
  };
  await tx.auditEvent.create({ data });
}
