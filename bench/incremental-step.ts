// mariabackup chains on the benchmark's data: a full, then incrementals after changing 1% and 10%
// of the rows (their size and time), more incrementals to make the chain longer, and the restore
// time of each chain member against its chain length (every restored copy compared with the source
// at that point by CHECKSUM TABLE ... EXTENDED). It changes the source, so it runs last.
import fsp from "node:fs/promises";
import path from "node:path";
import { attempt, type BenchContext } from "./context";
import { DB } from "./dataset";
import { log } from "./log";
import { diskBytes, runDbbackup } from "./proc";
import { checksumDiff, checksums, conn, startServer } from "./servers";

type BackupJson = { id: string; storedBytes: number; rawBytes: number; durationMs: number; chain?: { kind: string; depth: number; fromLsn: string; toLsn: string } };

/**
 * Updates `share` of the rows of every table: "spread" picks every 1/share-th id (so nearly every
 * page holds a changed row), "contiguous" one range of ids (the changed rows share pages, like a
 * workload that updates its recent rows).
 */
async function changeRows(ctx: BenchContext, share: number, pattern: "spread" | "contiguous") {
  const tables = await ctx.source.sql<{ t: string }>(`SELECT TABLE_NAME t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${DB}' AND COLUMN_NAME = 'k'`);
  const every = Math.round(1 / share);
  const salt = Math.floor(Math.random() * every);
  const where = async (t: string) => {
    if (pattern === "spread") return `id % ${every} = ${salt}`;
    const [r] = await ctx.source.sql<{ lo: string; hi: string }>(`SELECT MIN(id) lo, MAX(id) hi FROM ${DB}.\`${t}\``);
    const lo = Number(r!.lo);
    const n = Math.max(1, Math.round((Number(r!.hi) - lo + 1) * share));
    const start = lo + Math.floor(Math.random() * Math.max(1, Number(r!.hi) - lo + 1 - n));
    return `id BETWEEN ${start} AND ${start + n - 1}`;
  };
  for (const { t } of tables) await ctx.source.sql(`UPDATE ${DB}.\`${t}\` SET k = k + 1 WHERE ${await where(t)}`);
  await ctx.source.sql(`UPDATE ${DB}.wide SET amount = amount + 1 WHERE ${await where("wide")}`);
}

export async function incrementalStep(ctx: BenchContext) {
  const skipped = ctx.tools["mariadb-backup"] ? undefined : "mariadb-backup is not installed (apt-get install mariadb-backup)";
  const root = path.join(ctx.work, "chain");
  await fsp.mkdir(root, { recursive: true });
  const sets: { name: string; dir: string; state: Record<string, string>; json: BackupJson }[] = [];
  const take = async (name: string, from: string | null) => {
    const dir = path.join(root, name);
    const { json, proc } = await runDbbackup<BackupJson>(["physical-backup", "--engine", "mariabackup", "--output", dir + "/", "--parallel", String(ctx.args.parallel), ...(from ? ["--incremental-from", from + "/"] : []), ...conn(ctx.source)]);
    sets.push({ name, dir, state: await checksums(ctx.source, DB), json });
    return { json, proc, dir };
  };
  // the backups: one line each, with its size and time
  const steps: [string, number | null, "spread" | "contiguous"][] = [
    ["full", null, "spread"],
    ["after changing 1% of rows (one contiguous id range per table)", 0.01, "contiguous"],
    ["after changing 10% of rows (one contiguous id range per table)", 0.1, "contiguous"],
    ["after changing 1% of rows (every 100th id: nearly every page)", 0.01, "spread"],
    ["after changing 10% of rows (every 10th id: every page)", 0.1, "spread"],
  ];
  for (const [i, [label, share, pattern]] of steps.entries()) {
    await attempt(ctx, { group: "incremental", name: share === null ? "mariabackup full (the chain's base)" : `mariabackup incremental ${label}`, short: `incr-${i}`, ours: true, skipped }, async (line) => {
      if (share !== null) {
        if (!sets.length) throw new Error("no base: the full backup failed");
        const t0 = Date.now();
        await changeRows(ctx, share, pattern);
        log(`${line.name}: changed rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      const prev = sets[sets.length - 1];
      const { json, proc, dir } = await take(i === 0 ? "full" : `inc${i}`, prev?.dir ?? null);
      Object.assign(line, { seconds: proc.ms / 1000, peakRssMb: proc.rss.mainPeakMb, outputBytes: diskBytes(dir) });
      line.extra = { rawBytes: json.rawBytes, storedBytes: json.storedBytes, lsn: json.chain ? `${json.chain.fromLsn}..${json.chain.toLsn}` : null, chainLength: (json.chain?.depth ?? 0) + 1 };
      line.note = `${(json.rawBytes / 1e6).toFixed(0)} MB read into the set, ${(json.storedBytes / 1e6).toFixed(0)} MB stored; LSN ${line.extra.lsn}`;
    });
  }
  // restores: each chain member, the chain prepared in order, against its length
  for (const s of sets) {
    const links = (s.json.chain?.depth ?? 0) + 1;
    await attempt(ctx, { group: "incremental", name: `restore of chain length ${links} (${s.name})`, short: `restore-${links}`, ours: true }, async (line) => {
      const datadir = path.join(root, `${s.name}-datadir`);
      try {
        const r = await runDbbackup(["restore", "--from", s.dir + "/", "--datadir", datadir]);
        const t0 = Date.now();
        const sb = await startServer(`${s.name}-restored`, path.join(root, `${s.name}-run`), { datadir, binlog: false });
        const startMs = Date.now() - t0;
        try {
          const diff = checksumDiff(s.state, await checksums(sb, DB));
          line.equal = diff.length === 0;
          if (diff.length) log(`${line.name}: restored tables differ from the source at that point: ${diff.join(", ")}`);
        } finally {
          await sb.close();
        }
        line.seconds = (r.proc.ms + startMs) / 1000;
        line.peakRssMb = r.proc.rss.mainPeakMb;
        line.extra = { chainLength: links, materializeSeconds: r.proc.ms / 1000, serverStartSeconds: startMs / 1000 };
        line.note = `extract + prepare of ${links} link(s) ${(r.proc.ms / 1000).toFixed(1)} s + server start ${(startMs / 1000).toFixed(1)} s`;
      } finally {
        await fsp.rm(datadir, { recursive: true, force: true });
      }
    });
  }
  await fsp.rm(root, { recursive: true, force: true });
}
