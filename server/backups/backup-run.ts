import { recordAudit } from "../audit/record";
import { BackupSetWriter } from "../artifact/backup-set";
import { MANIFEST_FORMAT } from "../artifact/manifest";
import { db } from "../db/client";
import { getEngine, selectEngine } from "../engines/registry";
import { createEngineSelector } from "../engines/select/select-engine";
import { DomainError } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { loadEncryptionKey } from "../keys/manage-keys";
import { withServer } from "../mysql/connect";
import { introspectServer } from "../mysql/introspect";
import type { RunKind } from "../runner/run-kinds";
import { removePrefixOrDefer } from "../storage/cleanup";
import { openTargetStore } from "../storage/open-store";
import { formatBytes } from "../util/format";
import { newId } from "../util/ids";
import type { StartBackupInput } from "./schemas";

type Workspace = { targetId: string; prefix: string; backupId: string };

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
    const choice =
      p.engine === "auto"
        ? selectEngine(facts, { selector: createEngineSelector({ destination: target.kind === "s3" ? "s3" : "local" }) })
        : { engine: getEngine(p.engine), reason: `engine ${p.engine} requested` };
    const avail = choice.engine.availability(facts);
    if (!avail.available) throw new DomainError("PRECONDITION", `The ${choice.engine.name} engine cannot back up ${host.name}: ${avail.reasons.join("; ")}`);
    ctx.log("info", `Engine: ${choice.engine.name} (${choice.reason}).`);

    const key = p.encryptionKeyId ? await loadEncryptionKey(p.encryptionKeyId) : null;
    const backupId = newId("b");
    const prefix = `${host.name}/${backupId}/`;
    await ctx.workspace({ targetId: target.id, prefix, backupId } satisfies Workspace);
    ctx.log("info", `Writing to ${store.describe(prefix)}.`);

    const set = new BackupSetWriter(store, prefix, { compression: p.compression, level: p.level, key }, { partSize: target.partSize, workers: target.workers });
    const startedAt = new Date();
    let outcome;
    try {
      outcome = await choice.engine.backup(ctx, {
        server: address,
        facts,
        hostName: host.name,
        backupId,
        set,
        filter: { databases: p.databases, excludeTables: p.excludeTables },
        parallel: p.parallel,
        includeUsers: p.includeUsers,
        options: { ...(host.datadir ? { datadir: host.datadir } : {}), ...(p.options ?? {}) },
      });
    } catch (e) {
      await set.abort(e);
      throw e;
    }
    ctx.progress({ phase: "writing manifest" });
    const { manifest, sha256 } = await set.commit({
      ...outcome,
      format: MANIFEST_FORMAT,
      id: backupId,
      host: { name: host.name, id: host.id },
      compression: { algorithm: p.compression, level: p.level },
      encryption: key ? { algorithm: "AES-256-GCM-chunked", keyId: (await db().encryptionKey.findUniqueOrThrow({ where: { id: p.encryptionKeyId! } })).keyId } : null,
      details: { ...(outcome.details ?? {}), engineReason: choice.reason },
    });
    const backup = await db().$transaction(async (tx) => {
      const b = await tx.backup.create({
        data: {
          id: backupId,
          hostId: host.id,
          policyId: ctx.run.policyId,
          targetId: target.id,
          runId: ctx.run.id,
          engine: manifest.engine,
          format: manifest.layout,
          location: prefix,
          sizeBytes: BigInt(manifest.totals.storedBytes),
          objectCount: manifest.objects.length,
          startedAt: new Date(manifest.startedAt ?? startedAt),
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
          encryptionKeyId: p.encryptionKeyId ?? null,
          databases: JSON.stringify(manifest.databases.map((d) => d.name)),
          manifestSha256: sha256,
        },
      });
      await tx.run.update({ where: { id: ctx.run.id }, data: { backupId: b.id } });
      await recordAudit({ system: "runner" }, "backup.complete", { type: "backup", id: b.id }, { host: host.name, bytes: manifest.totals.storedBytes, run: ctx.run.id }, tx);
      return b;
    });
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
    if (!(await removePrefixOrDefer(w.targetId, w.prefix, `partial backup of run ${run.id}`))) {
      throw new DomainError("UNAVAILABLE", `the storage target is unreachable; the partial objects under ${w.prefix} will be removed as soon as it answers again`);
    }
    return "cleaned";
  },
};
