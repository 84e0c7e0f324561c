import type { z } from "zod";
import type { Actor } from "../audit/record";
import { startBackup } from "../backups/start-backup";
import type { startBackupInput } from "../backups/schemas";
import { db, parseJson } from "../db/client";
import { notFound } from "../errors";
import type { BackupKind } from "../artifact/chain";

type PolicyColumns = {
  hostId: string;
  targetId: string;
  engine: string;
  backupKind: string;
  databases: string;
  excludeTables: string;
  compression: string;
  compressionLevel: number;
  encryptionKeyId: string | null;
};

/** The backup a policy takes, scheduled or "Run now": one definition for both. */
export function policyBackupInput(p: PolicyColumns) {
  return {
    hostId: p.hostId,
    targetId: p.targetId,
    engine: p.engine,
    backupKind: p.backupKind as BackupKind,
    databases: parseJson<string[]>(p.databases, []),
    excludeTables: parseJson<string[]>(p.excludeTables, []),
    compression: p.compression as z.input<typeof startBackupInput>["compression"],
    level: p.compressionLevel,
    encryptionKeyId: p.encryptionKeyId,
    parallel: 4,
    includeUsers: false,
  } satisfies z.input<typeof startBackupInput>;
}

/** "Run now" on a policy: queues its backup as the actor. */
export async function runPolicyNow(opts: { id: string; actor: Actor }) {
  const p = await db().policy.findUnique({ where: { id: opts.id } });
  if (!p) throw notFound("Policy", opts.id);
  return startBackup({ input: policyBackupInput(p), actor: opts.actor, policyId: p.id });
}
