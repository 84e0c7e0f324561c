import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { BackupSetReader } from "../artifact/backup-set-reader";
import { MANIFEST_NAME } from "../artifact/manifest";
import { fingerprintTable } from "../engines/logical";
import type { WorkContext } from "../work-context";
import { errorMessage } from "../errors";
import { connectServer } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";
import { startSandbox, type Sandbox } from "../mysql/sandbox";
import { restoreLogicalSet } from "../restore/logical";
import { isPhysicalLayout } from "../restore/physical/physical-object";
import { restorePhysicalToSandbox } from "../restore/physical/restore-to-sandbox";
import { runCheck, type Check } from "./checks";
import { compareSchemaObjects } from "./schema-compare";

export type VerifyOptions = {
  reader: BackupSetReader;
  /** sha256 of manifest.json as recorded when the backup was committed (catalog) */
  manifestSha256?: string | null;
  /** restore into this server (a verification host) under prefixed names instead of a sandbox */
  verificationHost?: ServerAddress | null;
  /** stop after the object checks (no restore) */
  objectsOnly?: boolean;
  parallel?: number;
};

export type VerifyResult = { passed: boolean; checks: Check[]; restoreMs: number | null; durationMs: number };

/**
 * Opens a set and verifies it; a set that does not open (manifest missing or unreadable, wrong key,
 * broken chain) is a failed "open" check, not an error. The embedded verify run and the agent both
 * run this, each with its own way to open the set.
 */
export async function verifyOpenedSet(ctx: WorkContext, open: () => Promise<BackupSetReader>, o: Omit<VerifyOptions, "reader"> & { verificationHostName?: string }): Promise<VerifyResult> {
  const t0 = Date.now();
  try {
    const reader = await open();
    ctx.log("info", `Verifying backup ${reader.manifest.id} (${reader.manifest.layout}, ${reader.manifest.objects.length} objects) by restoring it into ${o.verificationHostName ? `verification host ${o.verificationHostName}` : "a sandbox server"}.`);
    return await verifyBackupSet(ctx, { ...o, reader });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return { passed: false, checks: [{ name: "open", ok: false, detail: errorMessage(e), ms: Date.now() - t0 }], restoreMs: null, durationMs: Date.now() - t0 };
  }
}

/**
 * Proves a backup restores: every object's checksum, decryption and decompression; a real restore
 * into a throwaway server (or a verification host); the server starts (physical); schema objects,
 * row counts and per-table fingerprints equal what the backup recorded. Every check is recorded
 * with its result and duration; the restore target is always removed afterwards.
 */
export async function verifyBackupSet(ctx: WorkContext, o: VerifyOptions): Promise<VerifyResult> {
  const t0 = performance.now();
  const checks: Check[] = [];
  const { reader } = o;
  const m = reader.manifest;

  if (o.manifestSha256) {
    await runCheck(checks, "manifest", async () => {
      const raw = await reader.store.getBuffer(reader.prefix + MANIFEST_NAME);
      const sha = crypto.createHash("sha256").update(raw).digest("hex");
      if (sha !== o.manifestSha256) return { ok: false, detail: `manifest.json changed since the backup was committed (sha256 ${sha.slice(0, 12)}…, recorded ${o.manifestSha256!.slice(0, 12)}…)` };
      return `manifest.json unchanged (sha256 ${sha.slice(0, 12)}…), ${m.objects.length} objects listed`;
    });
  }

  ctx.progress({ phase: "checking objects", bytesDone: 0, bytesTotal: m.totals.storedBytes, tablesDone: 0, tablesTotal: m.objects.length });
  let checkedBytes = 0;
  let checkedObjects = 0;
  const bad: string[] = [];
  await runCheck(checks, "objects", async () => {
    // an incremental or differential: the objects of every earlier link of its chain too
    const links = [...reader.ancestors, reader];
    const queue = links.flatMap((r) => r.manifest.objects.map((obj) => ({ r, obj })));
    const total = queue.length;
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const { r, obj } = item;
        if (ctx.signal.aborted) throw ctx.signal.reason;
        try {
          await r.check(obj);
        } catch (e) {
          bad.push(`${r === reader ? obj.path : r.describe(obj)}: ${errorMessage(e)}`);
        }
        checkedBytes += obj.size;
        ctx.progress({ bytesDone: checkedBytes, tablesDone: ++checkedObjects });
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, queue.length || 1) }, worker));
    if (bad.length) return { ok: false, detail: `${bad.length} of ${total} objects fail: ${bad.slice(0, 5).join("; ")}` };
    const chainNote = links.length > 1 ? ` (with the ${links.length - 1} earlier link(s) of its chain)` : "";
    return `${total} objects, ${links.reduce((a, r) => a + r.manifest.totals.storedBytes, 0)} bytes${chainNote}: sizes, sha256, ${m.encryption ? "decryption, " : ""}decompression all good`;
  });
  if (bad.length || o.objectsOnly) return finish();

  let sandbox: Sandbox | null = null;
  let sandboxDir: string | null = null;
  let restoreMs: number | null = null;
  const prefix = o.verificationHost ? `verify_${m.id.slice(-8)}_` : "";
  const targetName = (db: string) => prefix + db;
  let address: ServerAddress | null = null;
  try {
    const physical = isPhysicalLayout(m.layout);
    ctx.progress({ phase: "restoring", bytesDone: 0, bytesTotal: m.totals.rawBytes });
    const restored = await runCheck(checks, physical ? "restore and start" : "restore", async () => {
      const r0 = performance.now();
      if (physical) {
        sandboxDir = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-verify-"));
        sandbox = await restorePhysicalToSandbox(ctx, { reader, dir: sandboxDir });
        address = sandbox.address();
      } else {
        if (o.verificationHost) address = o.verificationHost;
        else {
          sandbox = await startSandbox({ binlog: false });
          address = sandbox.address();
        }
        const rename = Object.fromEntries(m.databases.map((d) => [d.name, targetName(d.name)]));
        await restoreLogicalSet(ctx, { reader, target: address, rename, parallel: o.parallel ?? 4, dropExisting: !!o.verificationHost, writeBinlog: false });
      }
      restoreMs = Math.round(performance.now() - r0);
      return `${physical ? "restored into a sandbox server and started it" : `restored into ${o.verificationHost ? "the verification host" : "a sandbox server"}`} in ${(restoreMs / 1000).toFixed(1)} s`;
    });
    if (!restored || !address) return finish();

    const c = await connectServer(address);
    try {
      await runCheck(checks, "schema objects", async () => {
        const problems: string[] = [];
        for (const d of m.databases) problems.push(...(await compareSchemaObjects(c, d, targetName(d.name))));
        if (problems.length) return { ok: false, detail: problems.slice(0, 10).join("; ") };
        const n = m.databases.reduce((s, d) => s + d.tables.length + d.views.length + d.routines.length + d.triggers.length + d.events.length, 0);
        return `${n} objects in ${m.databases.length} database(s) match the manifest`;
      });
      const exactRows = !physical || m.details.rowCounts !== "estimated";
      await runCheck(checks, "row counts", async () => {
        if (!exactRows) return { detail: "this physical backup records estimated row counts only; fingerprints and the server's own recovery vouch for the data", skipped: true };
        const wrong: string[] = [];
        let tables = 0;
        for (const d of m.databases)
          for (const t of d.tables) {
            if (t.kind === "sequence") continue;
            const [rows] = await c.query({ sql: `SELECT COUNT(*) FROM \`${targetName(d.name).replace(/`/g, "``")}\`.\`${t.name.replace(/`/g, "``")}\``, rowsAsArray: true });
            const n = Number((rows as unknown as unknown[][])[0]![0]);
            tables++;
            if (n !== t.rows) wrong.push(`${d.name}.${t.name}: ${n} rows, backup recorded ${t.rows}`);
          }
        if (wrong.length) return { ok: false, detail: wrong.slice(0, 10).join("; ") };
        return `${tables} tables, ${m.totals.rows} rows as recorded`;
      });
      ctx.progress({ phase: "fingerprinting" });
      await runCheck(checks, "fingerprints", async () => {
        const wrong: string[] = [];
        let n = 0;
        for (const d of m.databases)
          for (const t of d.tables) {
            if (!t.fingerprint) continue;
            if (ctx.signal.aborted) throw ctx.signal.reason;
            const fp = await fingerprintTable(c, targetName(d.name), t.name, t);
            n++;
            if (fp.hash !== t.fingerprint.hash || fp.rows !== t.fingerprint.rows) wrong.push(`${d.name}.${t.name} (${fp.rows} rows, ${fp.hash.slice(0, 12)}… vs recorded ${t.fingerprint.rows} rows, ${t.fingerprint.hash.slice(0, 12)}…)`);
          }
        if (!n) return { detail: "the backup records no per-table fingerprints", skipped: true };
        if (wrong.length) return { ok: false, detail: `content differs from the backup in ${wrong.length} table(s): ${wrong.slice(0, 5).join("; ")}` };
        return `${n} table fingerprints equal the backup's`;
      });
    } finally {
      await c.end().catch(() => c.destroy());
    }
  } finally {
    ctx.progress({ phase: "cleaning up" });
    if (o.verificationHost && address) {
      const c = await connectServer(o.verificationHost).catch(() => null);
      if (c) {
        for (const d of m.databases) await c.query(`DROP DATABASE IF EXISTS \`${targetName(d.name).replace(/`/g, "``")}\``).catch(() => undefined);
        await c.end().catch(() => undefined);
      }
    }
    if (sandbox) await (sandbox as Sandbox).stop().catch(() => undefined);
    if (sandboxDir) await fs.rm(sandboxDir, { recursive: true, force: true }).catch(() => undefined);
  }
  return finish();

  function finish(): VerifyResult {
    return { passed: checks.every((c) => c.ok), checks, restoreMs: checks.find((c) => c.name.startsWith("restore"))?.ok ? (checks.find((c) => c.name.startsWith("restore"))!.ms ?? null) : null, durationMs: Math.round(performance.now() - t0) };
  }
}
