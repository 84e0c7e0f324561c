import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ManifestDatabase } from "../artifact/manifest";
import { db, parseJson } from "../db/client";
import { fingerprintTable } from "../engines/logical";
import type { WorkContext } from "../work-context";
import { errorMessage } from "../errors";
import { connectServer } from "../mysql/connect";
import { startSandbox, type Sandbox } from "../mysql/sandbox";
import { coverageSegments, planBackups } from "../pitr/catalog-segments";
import { planPitr, type PlanBackup } from "../pitr/plan";
import { fileNumber, formatPos } from "../pitr/positions";
import { planSources } from "../pitr/replay/catalog-sources";
import { replayBinlogs } from "../pitr/replay/replay-binlogs";
import { restoreLogicalSet } from "../restore/logical";
import { isPhysicalLayout } from "../restore/physical/physical-object";
import { restorePhysicalToSandbox } from "../restore/physical/restore-to-sandbox";
import { openBackupReader } from "../restore/restore-into-host";
import { runCheck, type Check } from "./checks";

export type DrillResult = { possible: boolean; reason?: string; checks: Check[]; newerBackupId?: string; olderBackupId?: string; durationMs: number };

async function openBackup(id: string) {
  const b = await db().backup.findUniqueOrThrow({ where: { id } });
  return { backup: b, reader: await openBackupReader(b) };
}

const q = (s: string) => "`" + s.replace(/`/g, "``") + "`";

/**
 * A point-in-time recovery drill with what we already have: restore an older base backup into a
 * sandbox, replay the archived binlogs to a random moment and check the server is consistent there,
 * then replay on to a newer backup's recorded coordinates and compare every table with the newer
 * backup's fingerprints (taken inside its consistent snapshot). Equal fingerprints prove the replay
 * exact without touching the source.
 */
export async function runDrill(ctx: WorkContext, opts: { hostId: string; random?: () => number }): Promise<DrillResult> {
  const t0 = performance.now();
  const checks: Check[] = [];
  const backups = await planBackups(opts.hostId);
  const segments = await coverageSegments(opts.hostId);
  // the newer backup: the newest whose manifest has fingerprints, with coordinates
  let newer: { backup: PlanBackup; dbs: ManifestDatabase[] } | null = null;
  for (const b of backups) {
    if (!b.file) continue;
    try {
      const { reader } = await openBackup(b.id);
      if (reader.manifest.databases.some((d) => d.tables.some((t) => t.fingerprint))) {
        newer = { backup: b, dbs: reader.manifest.databases };
        break;
      }
    } catch {
      // unreadable: the plain verification reports it
    }
  }
  if (!newer) return { possible: false, reason: "no backup with per-table fingerprints and binlog coordinates", checks, durationMs: 0 };
  const target = { position: { file: newer.backup.file!, position: newer.backup.position ?? 4 } };
  const older = backups.filter((b) => b.id !== newer!.backup.id && b.consistentAt < newer!.backup.consistentAt);
  let plan;
  try {
    plan = planPitr({ target, backups: older, segments });
  } catch (e) {
    return { possible: false, reason: `no older backup connects to backup ${newer.backup.id} through archived binlogs: ${errorMessage(e)}`, checks, durationMs: 0 };
  }
  const dbs = newer.dbs.map((d) => d.name);
  const { backup: base, reader } = await openBackup(plan.backup.id);
  const inBase = parseJson<string[]>(base.databases, []);
  const missing = dbs.filter((d) => !inBase.includes(d));
  if (missing.length) return { possible: false, reason: `the older backup ${base.id} does not hold ${missing.join(", ")}`, checks, durationMs: 0 };

  let sandbox: Sandbox | null = null;
  let dir: string | null = null;
  try {
    const ok = await runCheck(checks, "drill: restore older backup", async () => {
      if (isPhysicalLayout(reader.manifest.layout)) {
        dir = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-drill-"));
        sandbox = await restorePhysicalToSandbox(ctx, { reader, dir });
      } else {
        sandbox = await startSandbox({ binlog: false });
        await restoreLogicalSet(ctx, { reader, target: sandbox.address(), databases: dbs, parallel: 4, writeBinlog: false });
      }
      return `backup ${base.id} (${base.engine}, consistent ${plan.backup.consistentAt.toISOString()}) restored into a sandbox`;
    });
    if (!ok || !sandbox) return done();
    const sb = sandbox as Sandbox;
    // the files from the one replay continues in (the first replay may have stopped in a later file)
    const sources = async () => (await planSources(opts.hostId, plan!)).filter((x) => fileNumber(x.file) >= fileNumber(position.file));
    let position = plan.from;

    // a random moment between the two backups: replay stops on a transaction boundary there
    const from = plan.backup.consistentAt.getTime();
    const to = newer.backup.consistentAt.getTime();
    // Binlog times are whole seconds and a replay to second T applies every commit stamped T: the
    // moment is at most the second before the newer backup's, so this replay never passes the newer
    // backup's coordinates (commits after it in its own second would be applied too).
    const lastSecond = Math.floor(to / 1000) * 1000 - 1000;
    const moment = new Date(Math.min(lastSecond, Math.floor((from + (opts.random ?? Math.random)() * Math.max(0, to - from)) / 1000) * 1000));
    const randomOk = await runCheck(checks, "drill: replay to a random moment", async () => {
      const r = await replayBinlogs(ctx, { target: sb.address(), sources: await sources(), from: position, until: { time: moment }, databases: dbs, knownDatabases: inBase, fromGtid: base.gtid, phase: "replaying to a random moment" });
      position = r.position;
      const c = await connectServer(sb.address());
      try {
        const bad: string[] = [];
        let n = 0;
        for (const d of newer!.dbs)
          for (const t of d.tables) {
            const [rows] = await c.query({ sql: `CHECK TABLE ${q(d.name)}.${q(t.name)}`, rowsAsArray: true });
            n++;
            const last = (rows as unknown as string[][]).at(-1);
            if (last && last[2] === "status" && last[3] !== "OK") bad.push(`${d.name}.${t.name}: ${last[3]}`);
            if (last && last[2] === "error") bad.push(`${d.name}.${t.name}: ${last[3]}`);
          }
        if (bad.length) return { ok: false, detail: `inconsistent at ${moment.toISOString()}: ${bad.join("; ")}` };
        return `${r.transactions} transaction(s) replayed to ${moment.toISOString()} (stopped at ${formatPos(r.position)}, ${r.stoppedBy === "target" ? "before the first transaction past it" : "end of the archive"}); CHECK TABLE passes on ${n} tables`;
      } finally {
        await c.end().catch(() => c.destroy());
      }
    });
    if (!randomOk) return done();

    await runCheck(checks, "drill: replay to the newer backup", async () => {
      const r = await replayBinlogs(ctx, { target: sb.address(), sources: await sources(), from: position, until: target, databases: dbs, knownDatabases: inBase, phase: "replaying to the newer backup" });
      const c = await connectServer(sb.address());
      try {
        const wrong: string[] = [];
        let n = 0;
        for (const d of newer!.dbs)
          for (const t of d.tables) {
            if (!t.fingerprint) continue;
            const fp = await fingerprintTable(c, d.name, t.name, t);
            n++;
            if (fp.hash !== t.fingerprint.hash || fp.rows !== t.fingerprint.rows) wrong.push(`${d.name}.${t.name} (${fp.rows} rows vs ${t.fingerprint.rows})`);
          }
        if (wrong.length) return { ok: false, detail: `after replaying to ${formatPos(target.position)}, ${wrong.length} table(s) differ from backup ${newer!.backup.id}: ${wrong.slice(0, 5).join("; ")}` };
        return `${r.transactions} more transaction(s) replayed to ${formatPos(target.position)}: all ${n} table fingerprints equal backup ${newer!.backup.id}'s`;
      } finally {
        await c.end().catch(() => c.destroy());
      }
    });
  } finally {
    if (sandbox) await (sandbox as Sandbox).stop().catch(() => undefined);
    if (dir) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  return done();

  function done(): DrillResult {
    return { possible: true, checks, newerBackupId: newer!.backup.id, olderBackupId: plan!.backup.id, durationMs: Math.round(performance.now() - t0) };
  }
}
