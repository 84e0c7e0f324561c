import type { Actor } from "../audit/record";
import { policyToYaml, yamlToPolicyInput } from "../config-file";
import { db } from "../db/client";
import { createPolicy, getPolicy, updatePolicy } from "./manage-policies";
import type { PolicyInput } from "./schemas";

/** A policy as the seed's YAML, with hosts, targets and keys by name. */
export async function exportPolicyYaml(id: string) {
  const p = await getPolicy(id);
  const key = p.encryptionKeyId ? await db().encryptionKey.findUnique({ where: { id: p.encryptionKeyId } }) : null;
  const yaml = policyToYaml(
    {
      name: p.name, hostId: p.hostId, targetId: p.targetId, engine: p.engine, databases: p.databases, excludeTables: p.excludeTables, schedule: p.schedule,
      timezone: p.timezone, compression: p.compression as "zstd", compressionLevel: p.compressionLevel, encryptionKeyId: p.encryptionKeyId, retention: p.retention,
      verifySchedule: p.verifySchedule, binlogArchiving: p.binlogArchiving, staleAfterMinutes: p.staleAfterMinutes, enabled: p.enabled,
      backupKind: p.backupKind as PolicyInput["backupKind"], rtoSeconds: p.rtoSeconds, incidentRows: p.incidentRows,
    },
    { host: p.host.name, target: p.target.name, encryptionKey: key?.name ?? null },
  );
  return { fileName: `${p.name.replace(/[^A-Za-z0-9._-]+/g, "-")}.policy.yaml`, yaml };
}

/**
 * Imports a policy from YAML: hosts, targets and keys are resolved by name; a policy with the same
 * name is updated, otherwise one is created. Errors carry the key path.
 */
export async function importPolicyYaml(opts: { text: string; actor: Actor }) {
  const [hosts, targets, keys] = await Promise.all([db().host.findMany(), db().storageTarget.findMany(), db().encryptionKey.findMany()]);
  const input = yamlToPolicyInput(opts.text, {
    hosts: Object.fromEntries(hosts.map((h) => [h.name, h.id])),
    targets: Object.fromEntries(targets.map((t) => [t.name, t.id])),
    encryptionKeys: Object.fromEntries(keys.map((k) => [k.name, k.id])),
  });
  const existing = await db().policy.findUnique({ where: { name: input.name } });
  const policy = existing ? await updatePolicy({ id: existing.id, input, actor: opts.actor }) : await createPolicy({ input, actor: opts.actor });
  return { id: policy.id, name: policy.name, created: !existing };
}
