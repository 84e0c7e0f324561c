import fs from "node:fs";
import type { Command } from "commander";
import { catalogPath } from "../../server/env";
import { DomainError } from "../../server/errors";
import { formatBytes, formatDuration, formatRelative } from "../../server/util/format";
import { configOf, out, parseIntFlag, printJson, withCommonFlags } from "../common";
import { s3FromCommand, withS3Flags } from "../locations";
import { usage } from "../usage";
import { openBackup } from "./verify";
import { readKeyFile } from "../encryption-key";

export function registerStatusCommand(program: Command) {
  const cmd = program
    .command("status")
    .description("recent runs, backups and binlog archive state from the catalog ($DBBACKUP_DATA_DIR); with --from, a backup's manifest summary")
    .option("--from <location>", "summarise this backup (directory, s3://bucket/prefix/, or a single file) instead of the catalog")
    .option("--limit <n>", "how many runs and backups to list", parseIntFlag("--limit", 1, 200), 10)
    .option("--encryption-key-file <file>", "with --from: check that this key opens the backup");
  withS3Flags(cmd);
  withCommonFlags(cmd);
  cmd.action(async (_o, c: Command) => {
    const p = await usage(() => {
      const cfg = configOf(c);
      const keyFile = c.getOptionValue("encryptionKeyFile") as string | undefined;
      return { from: c.getOptionValue("from") as string | undefined, limit: c.getOptionValue("limit") as number, json: !!c.getOptionValue("json"), s3: s3FromCommand(c, cfg), key: keyFile ? readKeyFile(keyFile) : null };
    });
    if (p.from) return backupSummary(p.from, p);
    return catalogStatus(p.limit, p.json);
  });
}

async function backupSummary(from: string, p: { json: boolean; s3: ReturnType<typeof s3FromCommand>; key: Buffer | null }) {
  // the manifest is in clear: it can be summarised without the key (a given key is checked)
  const reader = await openBackup(from, p.s3, p.key).catch(async (e) => {
    if (e instanceof DomainError && e.code === "PRECONDITION" && !p.key && /is encrypted/.test(e.message)) {
      const { locateBackup } = await import("../locations");
      const { SidecarStore } = await import("../../server/backup-pipeline/sidecar-store");
      const { readManifest } = await import("../../server/artifact/manifest");
      const loc = await locateBackup(from, p.s3);
      const manifest = await readManifest(loc.single ? new SidecarStore(loc.store, loc.key) : loc.store, loc.single ? "" : loc.key);
      return { manifest, describe: () => loc.display };
    }
    throw e;
  });
  const m = reader.manifest;
  if (p.json) return printJson({ location: reader.describe(), ...m, objects: m.objects.length });
  const dur = new Date(m.finishedAt).getTime() - new Date(m.startedAt).getTime();
  out(`Backup ${m.id} at ${reader.describe()}`);
  out(`  engine      ${m.engine} (${m.layout})${typeof m.details.engineReason === "string" ? `: ${m.details.engineReason}` : ""}`);
  out(`  server      ${m.host.name}, ${m.server.flavor} ${m.server.version}${m.server.serverId !== undefined ? `, server_id ${m.server.serverId}` : ""}`);
  out(`  taken       ${m.startedAt} .. ${m.finishedAt} (${formatDuration(dur)}), lock ${m.lockMs ?? "—"} ms`);
  out(`  binlog      ${m.coordinates ? `${m.coordinates.file}:${m.coordinates.position}${m.coordinates.gtid ? `, GTID ${m.coordinates.gtid}` : ""}` : "no coordinates (binary log off)"}`);
  out(`  size        ${formatBytes(m.totals.storedBytes)} stored, ${formatBytes(m.totals.rawBytes)} raw, ${m.objects.length} objects, ${m.compression.algorithm}${m.encryption ? `, encrypted (key ${m.encryption.keyId})` : ", not encrypted"}`);
  out(`  contents    ${m.totals.rows.toLocaleString("en-US")} rows in ${m.totals.tables} tables`);
  for (const d of m.databases) out(`    ${d.name}: ${d.tables.length} tables, ${d.tables.reduce((s, t) => s + t.rows, 0).toLocaleString("en-US")} rows${d.views.length ? `, ${d.views.length} views` : ""}${d.routines.length ? `, ${d.routines.length} routines` : ""}${d.triggers.length ? `, ${d.triggers.length} triggers` : ""}`);
}

async function catalogStatus(limit: number, json: boolean) {
  const file = catalogPath();
  if (!fs.existsSync(file)) {
    throw new DomainError("NOT_FOUND", `No catalog at ${file}: set DBBACKUP_DATA_DIR to the dashboard's data directory, or use dbbackup status --from <backup> to summarise a backup.`);
  }
  const { closeDb, db } = await import("../../server/db/client");
  try {
    const { listRuns } = await import("../../server/runner/list-runs");
    const { listBackups } = await import("../../server/backups/list-backups");
    const [runs, backups, archivers] = await Promise.all([
      listRuns({ limit }),
      listBackups({ limit }),
      db().archiverState.findMany({ include: { host: { select: { name: true } } }, orderBy: { updatedAt: "desc" } }),
    ]);
    if (json) {
      return printJson({
        catalog: file,
        runs: runs.items.map((r) => ({ id: r.id, kind: r.kind, state: r.state, host: r.host?.name ?? null, queuedAt: r.queuedAt, startedAt: r.startedAt, finishedAt: r.finishedAt, phase: r.progress.phase ?? null, error: r.error })),
        backups: backups.items.map((b) => ({ id: b.id, host: b.host.name, engine: b.engine, target: b.target.name, location: b.location, sizeBytes: b.sizeBytes, finishedAt: b.finishedAt, verifyState: b.verifyState, binlog: b.binlogFile ? `${b.binlogFile}:${b.binlogPos}` : null })),
        archives: archivers.map((a) => ({ host: a.host.name, status: a.status, file: a.file, position: a.position === null ? null : Number(a.position), gtid: a.gtid, lagSeconds: a.lagSeconds, lastEventAt: a.lastEventAt, message: a.message, updatedAt: a.updatedAt })),
      });
    }
    out(`Catalog ${file}`);
    out("");
    out("Recent runs:");
    if (!runs.items.length) out("  none");
    for (const r of runs.items) {
      const took = r.startedAt && r.finishedAt ? formatDuration(r.finishedAt.getTime() - r.startedAt.getTime()) : r.startedAt ? `running, ${r.progress.phase ?? ""}` : "queued";
      out(`  ${r.id}  ${r.kind.padEnd(8)} ${r.state.padEnd(10)} ${(r.host?.name ?? "-").padEnd(16)} ${formatRelative(r.queuedAt).padEnd(14)} ${took}${r.error ? `  ${r.error.split("\n")[0]}` : ""}`);
    }
    out("");
    out("Recent backups:");
    if (!backups.items.length) out("  none");
    for (const b of backups.items) {
      out(`  ${b.id}  ${b.host.name.padEnd(16)} ${b.engine.padEnd(12)} ${formatBytes(b.sizeBytes).padStart(10)}  ${formatRelative(b.finishedAt).padEnd(14)} ${b.verifyState.padEnd(10)} ${b.target.name}:${b.location}`);
    }
    out("");
    out("Binlog archives:");
    if (!archivers.length) out("  none");
    for (const a of archivers) {
      out(`  ${a.host.name.padEnd(16)} ${a.status.padEnd(8)} ${a.file ? `${a.file}:${a.position}` : "-"}  lag ${a.lagSeconds === null ? "-" : `${a.lagSeconds.toFixed(1)} s`}  last event ${a.lastEventAt ? formatRelative(a.lastEventAt) : "-"}${a.message ? `  ${a.message}` : ""}`);
    }
  } finally {
    await closeDb();
  }
}
