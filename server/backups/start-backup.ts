import { recordAudit, type Actor } from "../audit/record";
import { db } from "../db/client";
import { invalid, notFound } from "../errors";
import { enqueueRun } from "../runner/enqueue-run";
import type { z } from "zod";
import { startBackupInput } from "./schemas";

/** Queues a backup run ("Back up now", the CLI, or a policy). The runner does the work. */
export async function startBackup(opts: { input: z.input<typeof startBackupInput>; actor: Actor; policyId?: string; idempotencyKey?: string }) {
  const v = startBackupInput.parse(opts.input);
  const host = await db().host.findUnique({ where: { id: v.hostId } });
  if (!host) throw notFound("Host", v.hostId);
  const target = await db().storageTarget.findUnique({ where: { id: v.targetId } });
  if (!target) throw invalid("targetId", `Storage target ${v.targetId} does not exist.`);
  if (v.encryptionKeyId && !(await db().encryptionKey.findUnique({ where: { id: v.encryptionKeyId } }))) throw invalid("encryptionKeyId", "That encryption key does not exist.");
  const run = await enqueueRun({
    kind: "backup",
    hostId: host.id,
    policyId: opts.policyId ?? null,
    params: { ...v },
    createdById: "id" in opts.actor ? opts.actor.id : null,
    idempotencyKey: opts.idempotencyKey,
  });
  await recordAudit(opts.actor, "backup.start", { type: "run", id: run.id }, { host: host.name, target: target.name, engine: v.engine, databases: v.databases });
  return run;
}
