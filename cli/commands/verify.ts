import type { Command } from "commander";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import type { ManifestObject } from "../../server/artifact/manifest";
import { DomainError, errorMessage } from "../../server/errors";
import { LOGICAL_TAR_LAYOUT, openLogicalTar } from "../../server/backup-pipeline/logical-tar";
import { SidecarStore } from "../../server/backup-pipeline/sidecar-store";
import { chainOf } from "../../server/backup-pipeline/chain-base";
import { openChain } from "../../server/restore/physical/open-chain";
import { formatBytes, formatDuration } from "../../server/util/format";
import { configOf, out, parseIntFlag, pick, printJson, withCommonFlags } from "../common";
import { readKeyFile } from "../encryption-key";
import { locateBackup, s3FromCommand, withS3Flags, type S3Flags } from "../locations";
import { findTool } from "../../server/mysql/tools";
import { verifyBackupSet } from "../../server/verify/verify-set";
import { UsageError, usage } from "../usage";
import { terminalContext } from "../work-context";

export type ObjectCheck = { path: string; size: number; rawSize: number; ok: boolean; problem: string | null; ms: number };

/**
 * Opens a backup for reading: a set (directory or s3 prefix) or a single file with its sidecar
 * manifest; a mariabackup incremental or differential with its whole chain, found through the
 * locations its manifests record and checked link by link (open-chain.ts). The links share the key.
 */
export async function openBackup(location: string, s3: S3Flags, key: Buffer | null): Promise<BackupSetReader> {
  const reader = await openOneBackup(location, s3, key);
  if (chainOf(reader.manifest)?.parent) await openChain(reader, (p) => openOneBackup(p.location, s3, key));
  return reader;
}

async function openOneBackup(location: string, s3: S3Flags, key: Buffer | null): Promise<BackupSetReader> {
  const loc = await locateBackup(location, s3);
  try {
    return await (loc.single ? BackupSetReader.open(new SidecarStore(loc.store, loc.key), "", key) : BackupSetReader.open(loc.store, loc.key, key));
  } catch (e) {
    if (!key && e instanceof DomainError && e.code === "PRECONDITION" && /is encrypted \(key/.test(e.message)) {
      throw new DomainError("PRECONDITION", e.message.replace(/; provide its key\.?$/, ": give its key with --encryption-key-file FILE."));
    }
    throw e;
  }
}

export function registerVerifyCommand(program: Command) {
  const cmd = program
    .command("verify")
    .description("check a backup: its manifest, and every object's size, sha256, decryption and decompression")
    .argument("<location>", "backup set directory, s3://bucket/prefix/, or a single file (db.sql.zst, db.tar.gz) with its .manifest.json")
    .option("--encryption-key-file <file>", "the key of an encrypted backup")
    .option("--parallel <n>", "objects checked at once", parseIntFlag("--parallel", 1, 32), 4)
    .option("--restore", "also restore into a throwaway server on this machine, then compare schema, row counts and table fingerprints with the manifest");
  withS3Flags(cmd);
  withCommonFlags(cmd);
  cmd.action(async (location: string, _o, c: Command) => {
    const p = await usage(() => {
      const cfg = configOf(c);
      const keyFile = pick<string | undefined>(c, "encryptionKeyFile", cfg.backup?.encryption_key_file);
      const restore = !!c.getOptionValue("restore");
      if (restore && !findTool("mariadbd", "mysqld")) {
        throw new UsageError("verify --restore starts a throwaway server on this machine and needs mariadbd (apt-get install mariadb-server); without it, verify checks the objects only.");
      }
      return { s3: s3FromCommand(c, cfg), key: keyFile ? readKeyFile(keyFile) : null, parallel: c.getOptionValue("parallel") as number, json: !!c.getOptionValue("json"), quiet: !!c.getOptionValue("quiet"), restore };
    });
    const t0 = Date.now();
    const reader = await openBackup(location, p.s3, p.key);
    if (p.restore) return verifyByRestore(reader, p);
    const m = reader.manifest;
    const ctx = terminalContext({ quiet: p.quiet || p.json });
    const results: ObjectCheck[] = [];
    try {
      const queue = [...m.objects];
      let done = 0;
      const total = m.totals.storedBytes;
      let bytes = 0;
      ctx.progress({ phase: "verifying", bytesTotal: total, bytesDone: 0 });
      const worker = async () => {
        for (let o = queue.shift(); o; o = queue.shift()) {
          if (ctx.signal.aborted) break;
          results.push(await checkOne(reader, o));
          done++;
          bytes += o.size;
          ctx.progress({ bytesDone: bytes, detail: `${done}/${m.objects.length} objects` });
        }
      };
      await Promise.all(Array.from({ length: Math.min(p.parallel, Math.max(1, m.objects.length)) }, worker));
    } finally {
      ctx.done();
    }
    if (ctx.signal.aborted) throw new DomainError("UNAVAILABLE", `verification of ${reader.describe()} was interrupted after ${results.length} of ${m.objects.length} objects`);
    results.sort((a, b) => a.path.localeCompare(b.path));
    const bad = results.filter((r) => !r.ok);
    if (p.json) {
      printJson({ location: reader.describe(), id: m.id, engine: m.engine, layout: m.layout, encrypted: !!m.encryption, ok: bad.length === 0, objects: results, durationMs: Date.now() - t0 });
    } else {
      out(`Backup ${m.id} (${m.engine}, ${m.layout}) at ${reader.describe()}${m.encryption ? `, encrypted with key ${m.encryption.keyId}` : ""}`);
      const w = Math.min(60, Math.max(6, ...results.map((r) => r.path.length)));
      out(`${"OBJECT".padEnd(w)}  ${"STORED".padStart(10)}  ${"RAW".padStart(10)}  RESULT`);
      for (const r of results) out(`${r.path.padEnd(w)}  ${formatBytes(r.size).padStart(10)}  ${formatBytes(r.rawSize).padStart(10)}  ${r.ok ? "ok" : `BAD: ${r.problem}`}`);
      out(`${results.length - bad.length} of ${results.length} objects ok (${formatBytes(m.totals.storedBytes)}) in ${formatDuration(Date.now() - t0)}.`);
    }
    if (bad.length) {
      throw new DomainError(
        "INVALID",
        `verify failed: ${bad.length} of ${results.length} object${results.length === 1 ? "" : "s"} bad in ${reader.describe()}: ${bad.map((b) => `${b.path} (${b.problem})`).join("; ")}. Restore from another backup; this one cannot be trusted.`,
      );
    }
  });
}

async function checkOne(reader: BackupSetReader, o: ManifestObject): Promise<ObjectCheck> {
  const t = Date.now();
  try {
    const raw = await reader.check(o);
    if (raw !== o.rawSize) return { path: o.path, size: o.size, rawSize: o.rawSize, ok: false, problem: `decodes to ${raw} bytes, the manifest says ${o.rawSize}`, ms: Date.now() - t };
    return { path: o.path, size: o.size, rawSize: o.rawSize, ok: true, problem: null, ms: Date.now() - t };
  } catch (e) {
    const prefix = reader.describe(o);
    const msg = errorMessage(e).replace(prefix, "the object").replace(/\s*\n\s*/g, " ");
    return { path: o.path, size: o.size, rawSize: o.rawSize, ok: false, problem: e instanceof DomainError && e.code === "NOT_FOUND" ? "missing" : msg, ms: Date.now() - t };
  }
}

/**
 * The whole proof: every object, then a real restore into a throwaway server (a sandbox; physical
 * backups are restored and started), then schema objects, row counts and per-table fingerprints
 * against the manifest. The sandbox is removed afterwards.
 */
async function verifyByRestore(reader: BackupSetReader, p: { parallel: number; json: boolean; quiet: boolean }) {
  const m = reader.manifest;
  const ctx = terminalContext({ quiet: p.quiet || p.json });
  let r;
  // a logical set inside a tar (db.tar.gz written where no physical engine could run): the tar is
  // checked while it is unpacked, then the set inside it is restored and compared
  const inner = m.layout === LOGICAL_TAR_LAYOUT ? await openLogicalTar(reader) : null;
  try {
    r = await verifyBackupSet(ctx, { reader: inner?.reader ?? reader, parallel: p.parallel });
  } finally {
    ctx.done();
    await inner?.cleanup();
  }
  if (p.json) printJson({ location: reader.describe(), id: m.id, engine: m.engine, layout: m.layout, ok: r.passed, checks: r.checks, restoreMs: r.restoreMs, durationMs: r.durationMs });
  else {
    out(`Backup ${m.id} (${m.engine}, ${m.layout}) at ${reader.describe()}: verification by restore`);
    const w = Math.max(5, ...r.checks.map((c) => c.name.length));
    out(`${"CHECK".padEnd(w)}  RESULT   ${"TIME".padStart(8)}  DETAIL`);
    for (const c of r.checks) out(`${c.name.padEnd(w)}  ${(c.skipped ? "skipped" : c.ok ? "ok" : "FAILED").padEnd(7)}  ${formatDuration(c.ms).padStart(8)}  ${c.detail}`);
    out(`${r.passed ? "Passed" : "FAILED"} in ${formatDuration(r.durationMs)}.`);
  }
  const failed = r.checks.filter((c) => !c.ok);
  if (failed.length) throw new DomainError("INVALID", `verify --restore failed for ${reader.describe()}: ${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")}`);
}
