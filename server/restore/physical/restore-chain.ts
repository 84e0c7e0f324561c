import fs from "node:fs/promises";
import type { BackupSetReader } from "../../artifact/backup-set-reader";
import { chainOf } from "../../backup-pipeline/chain-base";
import { DomainError, errorMessage } from "../../errors";
import type { WorkContext } from "../../work-context";
import { repairBinlogIndex } from "./binlog-index";
import type { Materialized } from "./materialize";
import { physicalObject } from "./physical-object";
import { runTool } from "./run-tool";

/** One link of a restored chain: what it was and how long its steps took (the restore-time prediction reads these). */
export type ChainStep = { id: string; kind: string; rawBytes: number; extractMs: number; prepareMs: number };
export type MaterializedChain = Materialized & { steps: ChainStep[] };

/**
 * Restores a mariabackup chain (full, then each incremental or differential in order) into
 * `datadir`, which the caller made new and empty: every link is extracted first (its bytes
 * checked against the manifest's sha256 as they stream), deltas into sibling directories, so a
 * damaged link fails before anything is prepared; then `--prepare` of the full and
 * `--prepare --incremental-dir` of each delta, in order. MariaDB 10.11's mariadb-backup has no
 * --apply-log-only: its prepare leaves the rollback of open transactions to the server's start,
 * so the full can take further deltas after it. The delta directories are removed at the end.
 */
export async function materializeChain(
  ctx: WorkContext,
  reader: BackupSetReader,
  datadir: string,
  tools: { extract: string; prepare: string; label: string },
): Promise<MaterializedChain> {
  const links = [...reader.ancestors, reader];
  const m = reader.manifest;
  const link = chainOf(m);
  if (!link || links.length !== link.depth + 1) {
    throw new DomainError(
      "PRECONDITION",
      `Backup ${m.id} is ${link ? `an ${link.kind} backup, link ${link.depth + 1} of a chain` : "a delta"}, and restoring it needs every earlier link of its chain (${link?.depth ?? "?"}), opened in order; ${links.length - 1} were given. Restore it from the dashboard or with \`dbbackup restore --from\` on its location, which find the chain.`,
    );
  }
  const objs = links.map((r) => physicalObject(r.manifest));
  const total = objs.reduce((a, o) => a + o.rawSize, 0);
  const dirs = links.map((_, i) => (i === 0 ? datadir : `${datadir}.delta-${i}`));
  const steps: ChainStep[] = links.map((r, i) => ({ id: r.manifest.id, kind: chainOf(r.manifest)?.kind ?? "full", rawBytes: objs[i]!.rawSize, extractMs: 0, prepareMs: 0 }));
  let bytes = 0;
  try {
    for (let i = 0; i < links.length; i++) {
      const r = links[i]!;
      const step = steps[i]!;
      ctx.progress({ phase: `extracting ${i + 1}/${links.length} (${step.kind} ${step.id})`, bytesDone: bytes, bytesTotal: total, detail: r.describe(objs[i]) });
      if (i > 0) {
        await fs.rm(dirs[i]!, { recursive: true, force: true });
        await fs.mkdir(dirs[i]!, { recursive: true, mode: 0o700 });
      }
      const t0 = Date.now();
      const what = `link ${i + 1} of ${links.length} (${step.kind} ${step.id})`;
      try {
        const source = await r.open(objs[i]!);
        source.on("data", (c: Buffer) => ctx.progress({ bytesDone: (bytes += c.length) }));
        await runTool(tools.extract, ["-x", "-C", dirs[i]!], { what: `Unpacking ${what} from ${r.describe(objs[i])} with ${tools.extract}`, stdin: source, signal: ctx.signal });
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        throw new DomainError(
          "INVALID",
          `The chain of backup ${m.id} cannot be restored: ${what} at ${r.describe(objs[i])} is damaged (${errorMessage(e)}). Nothing was prepared; ${step.id} and every later backup of its chain cannot be restored. Restore an earlier backup or take a new full backup.`,
          { cause: e },
        );
      }
      step.extractMs = Date.now() - t0;
    }
    for (let i = 0; i < links.length; i++) {
      const step = steps[i]!;
      ctx.progress({ phase: `preparing ${i + 1}/${links.length} (${step.kind} ${step.id})`, detail: i === 0 ? `${tools.label} --prepare` : `${tools.label} --prepare --incremental-dir` });
      const t0 = Date.now();
      const args = ["--prepare", `--target-dir=${datadir}`, ...(i > 0 ? [`--incremental-dir=${dirs[i]}`] : [])];
      await runTool(tools.prepare, args, { what: `${tools.label} --prepare of link ${i + 1} of ${links.length} (${step.kind} ${step.id})`, signal: ctx.signal });
      step.prepareMs = Date.now() - t0;
      ctx.log("info", `Prepared link ${i + 1}/${links.length} (${step.kind} ${step.id}) in ${Math.round(step.prepareMs / 100) / 10} s.`);
      if (i > 0) await fs.rm(dirs[i]!, { recursive: true, force: true });
    }
  } finally {
    for (const d of dirs.slice(1)) await fs.rm(d, { recursive: true, force: true }).catch(() => undefined);
  }
  const binlogBasename = await repairBinlogIndex(datadir);
  return {
    datadir,
    layout: m.layout,
    bytes,
    binlogBasename,
    extractMs: steps.reduce((a, s) => a + s.extractMs, 0),
    prepareMs: steps.reduce((a, s) => a + s.prepareMs, 0),
    steps,
  };
}
