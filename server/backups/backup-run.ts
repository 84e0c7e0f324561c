import { recordAudit } from "../audit/record";
import { db } from "../db/client";
import { DomainError } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { loadEncryptionKey } from "../backup-keys/manage-keys";
import { withServer } from "../mysql/connect";
import { introspectServer } from "../mysql/introspect";
import type { RunKind } from "../runner/run-kinds";
import { backupToSet, chooseEngine } from "../backup-pipeline/backup-to-set";
import { removePrefixOrDefer } from "../storage/cleanup";
import { AGENT_LEASE_PREFIX, isAgentLease } from "../runner/dispatch";
import { openTargetStore } from "../storage/open-store";
import { formatBytes } from "../util/format";
import { newId } from "../util/ids";
import { catalogBase } from "./catalog-base";
import { kindWithinRto } from "./rto-choice";
import type { StartBackupInput } from "./schemas";
import type { Host, Run } from "../db/generated/client";
import type { Manifest } from "../artifact/manifest";
import type { ChainBase } from "../artifact/chain";
import type { WorkContext } from "../work-context";

type Workspace = { targetId: string; prefix: string; backupId: string };

type Tx = Parameters<Parameters<ReturnType<typeof db>["$transaction"]>[0]>[0];

/**
 * The catalog side of a finished backup, in the caller's transaction: the Backup row (from its
 * manifest), the run's link to it and the audit event. The embedded backup run and a runner
 * agent's reported result both go through here, after the manifest was written.
 */
export async function recordBackup(
  tx: Tx,
  o: { run: Pick<Run, "id" | "policyId">; host: Pick<Host, "id" | "name">; targetId: string; prefix: string; backupId: string; manifest: Manifest; manifestSha256: string; encryptionKeyId: string | null; startedAt: Date; via?: string },
) {
  const { manifest } = o;
  const b = await tx.backup.create({
    data: {
      id: o.backupId,
      hostId: o.host.id,
      policyId: o.run.policyId,
      targetId: o.targetId,
      runId: o.run.id,
      engine: manifest.engine,
      format: manifest.layout,
      location: o.prefix,
      sizeBytes: BigInt(manifest.totals.storedBytes),
      objectCount: manifest.objects.length,
      startedAt: new Date(manifest.startedAt ?? o.startedAt),
      // engines record when their data is consistent to; without it, the finish time is a safe upper bound
      consistentAt: typeof manifest.details.consistentAt === "string" ? new Date(manifest.details.consistentAt) : new Date(manifest.finishedAt),
      finishedAt: new Date(manifest.finishedAt),
      lockMs: manifest.lockMs,
      binlogFile: manifest.coordinates?.file ?? null,
      binlogPos: manifest.coordinates ? BigInt(manifest.coordinates.position) : null,
      gtid: manifest.coordinates?.gtid ?? null,
      serverVersion: `${manifest.server.flavor} ${manifest.server.version}`,
      compression: manifest.compression.algorithm,
      encrypted: !!manifest.encryption,
      encryptionKeyId: o.encryptionKeyId,
      databases: JSON.stringify(manifest.databases.map((d) => d.name)),
      manifestSha256: o.manifestSha256,
      // a physical chain's link (mariabackup incrementals and differentials); a full has none
      backupKind: manifest.chain?.kind ?? "full",
      parentBackupId: manifest.chain?.parent?.id ?? null,
      chainRootId: manifest.chain?.rootId ?? null,
      fromLsn: manifest.chain?.fromLsn ?? null,
      toLsn: manifest.chain?.toLsn ?? null,
    },
  });
  await tx.run.update({ where: { id: o.run.id }, data: { backupId: b.id } });
  await recordAudit({ system: o.via ?? "runner" }, "backup.complete", { type: "backup", id: b.id }, { host: o.host.name, bytes: manifest.totals.storedBytes, run: o.run.id }, tx);
  return b;
}

/**
 * What a backup run builds on: for an incremental or differential its base from the catalog (none:
 * a full), after the policy's RTO target had its say, and the engine to ask for ("auto" means
 * mariabackup for a delta). The embedded run and an agent's claim both decide it here.
 */
export async function backupBase(ctx: WorkContext, o: { policyId: string | null; hostId: string; targetId: string; params: StartBackupInput }): Promise<{ engine: string | undefined; base: ChainBase | null }> {
  const p = o.params;
  const kind = p.backupKind ?? "full";
  // deltas are mariabackup's: "auto" means mariabackup for them
  const engine = kind !== "full" && (p.engine ?? "auto") === "auto" ? "mariabackup" : p.engine;
  let base = await catalogBase(ctx, { hostId: o.hostId, targetId: o.targetId, kind, fromBackupId: p.incrementalFromBackupId });
  // a policy's RTO may turn its next incremental into a differential or a full (rto-choice.ts)
  const policy = o.policyId && !p.incrementalFromBackupId ? await db().policy.findUnique({ where: { id: o.policyId }, select: { rtoSeconds: true } }) : null;
  const within = await kindWithinRto(ctx, { hostId: o.hostId, kind, base, rtoSeconds: policy?.rtoSeconds ?? null });
  if (within !== kind) base = await catalogBase(ctx, { hostId: o.hostId, targetId: o.targetId, kind: within });
  return { engine, base };
}

/** The "backup" run: fresh facts, engine, objects to the target, manifest last, then the catalog row. */
export const backupRunKind: RunKind<StartBackupInput> = {
  kind: "backup",
  async execute(ctx) {
    const p = ctx.params;
    const host = await db().host.findUnique({ where: { id: ctx.run.hostId ?? "" } });
    if (!host) throw new DomainError("NOT_FOUND", "The host of this backup was deleted.");
    const address = hostAddress(host);
    ctx.progress({ phase: "connecting" });
    const facts = await withServer(address, (c) => introspectServer(c, address));
    await db().host.update({ where: { id: host.id }, data: { introspection: JSON.stringify(facts), introspectedAt: new Date(), introspectionError: null } });
    ctx.log("info", `${host.name}: ${facts.flavor} ${facts.version}, about ${formatBytes(facts.totalBytes)} of data and indexes (information_schema estimate), binlog ${facts.binlog.enabled ? "on" : "off"}.`);

    const { target, store } = await openTargetStore(p.targetId);
    const { engine: engineName, base } = await backupBase(ctx, { policyId: ctx.run.policyId, hostId: host.id, targetId: target.id, params: p });
    const choice = chooseEngine(facts, { engine: engineName, destination: target.kind === "s3" ? "s3" : "local", serverName: host.name });
    const key = p.encryptionKeyId ? await loadEncryptionKey(p.encryptionKeyId) : null;
    const backupId = newId("b");
    const prefix = `${host.name}/${backupId}/`;
    await ctx.workspace({ targetId: target.id, prefix, backupId } satisfies Workspace);

    // the same pipeline as the CLI and the library: engine -> objects -> manifest last
    const startedAt = new Date();
    const { manifest, manifestSha256: sha256 } = await backupToSet(ctx, {
      server: address,
      facts,
      engine: choice.engine,
      reason: choice.reason,
      store,
      prefix,
      compression: p.compression,
      level: p.level,
      key,
      writeOptions: { partSize: target.partSize, workers: target.workers },
      filter: { databases: p.databases, excludeTables: p.excludeTables },
      parallel: p.parallel,
      includeUsers: p.includeUsers,
      options: { ...(host.datadir ? { datadir: host.datadir } : {}), ...(p.options ?? {}) },
      hostName: host.name,
      hostId: host.id,
      backupId,
      base,
    });
    // recorded only once the manifest is written: a catalog row never points at a partial backup
    const backup = await db().$transaction((tx) => recordBackup(tx, { run: ctx.run, host, targetId: target.id, prefix, backupId, manifest, manifestSha256: sha256, encryptionKeyId: p.encryptionKeyId ?? null, startedAt }));
    // the progress totals were estimates; the run ends with what was actually written
    const t = manifest.totals;
    ctx.progress({ phase: "done", bytesDone: t.rawBytes, bytesTotal: t.rawBytes, ...(t.rows ? { rowsDone: t.rows, rowsTotal: t.rows } : {}), ...(t.tables ? { tablesDone: t.tables, tablesTotal: t.tables } : {}) });
    ctx.log("info", `Backup ${backup.id}: ${manifest.objects.length} objects, ${formatBytes(manifest.totals.rawBytes)} of data written, ${formatBytes(manifest.totals.storedBytes)} stored after compression, lock ${manifest.lockMs ?? "—"} ms.`);
    return { backupId: backup.id, storedBytes: manifest.totals.storedBytes, rawBytes: manifest.totals.rawBytes, rows: manifest.totals.rows, lockMs: manifest.lockMs };
  },

  async recover(run, ws) {
    const w = ws as Partial<Workspace>;
    // the backup row is written after the manifest: if it exists, the backup completed
    if (await db().backup.findFirst({ where: { runId: run.id } })) return "done";
    if (!w.targetId || !w.prefix) return "cleaned";
    // objects an agent wrote to a local path are on its machine: it removes them (queued for it)
    const agentId = (ws as { agentId?: string }).agentId ?? (isAgentLease(run.leaseOwner) ? run.leaseOwner!.slice(AGENT_LEASE_PREFIX.length) : null);
    if (!(await removePrefixOrDefer(w.targetId, w.prefix, `partial backup of run ${run.id}`, { agentId, runId: run.id }))) {
      throw new DomainError("UNAVAILABLE", `the storage target is unreachable; the partial objects under ${w.prefix} will be removed as soon as it answers again`);
    }
    return "cleaned";
  },
};
