import fs from "node:fs/promises";
import type { BackupSetReader } from "../../artifact/backup-set-reader";
import type { WorkContext } from "../../work-context";
import { DomainError } from "../../errors";
import { findTool } from "../../mysql/tools";
import { repairBinlogIndex } from "./binlog-index";
import { extractTar } from "./extract-tar";
import { physicalObject } from "./physical-object";
import { runTool } from "./run-tool";
import { chainOf } from "../../backup-pipeline/chain-base";
import { materializeChain, type ChainStep } from "./restore-chain";

export type Materialized = { datadir: string; layout: string; bytes: number; binlogBasename: string | null; extractMs: number; prepareMs: number; steps?: ChainStep[] };

/** The tools that unpack and prepare an xbstream backup made by `tool`. */
export function xbstreamTools(tool: string): { extract: string; prepare: string; label: string } {
  const percona = /xtrabackup/i.test(tool);
  const extract = percona ? findTool("xbstream") : findTool("mbstream", "xbstream");
  const prepare = percona ? findTool("xtrabackup") : findTool("mariadb-backup", "mariabackup");
  if (!extract || !prepare) {
    throw new DomainError(
      "PRECONDITION",
      percona
        ? "Restoring an xtrabackup backup needs xbstream and xtrabackup on this machine: install percona-xtrabackup matching the server version."
        : "Restoring a mariabackup backup needs mbstream and mariadb-backup on this machine: apt-get install mariadb-backup.",
    );
  }
  return { extract, prepare, label: percona ? "xtrabackup" : "mariadb-backup" };
}

async function ensureEmpty(dir: string) {
  try {
    const names = await fs.readdir(dir);
    if (names.length) throw new DomainError("PRECONDITION", `${dir} is not empty: a physical restore needs a new, empty directory.`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o750 });
}

/**
 * Turns a physical backup set into a ready datadir at `datadir` (which must be new or empty):
 * verified streaming extraction (tar, or `mbstream -x`), then `--prepare` for xbstream backups
 * (applies the redo copied during the backup, making the files consistent at the backup's
 * binlog coordinates), then the binlog index is pointed at the restored files.
 */
export async function materializeBackup(ctx: WorkContext, reader: BackupSetReader, datadir: string): Promise<Materialized> {
  const m = reader.manifest;
  await ensureEmpty(datadir);
  // a mariabackup backup with LSNs: its chain, full first, one extract and one prepare per link (restore-chain.ts)
  if (m.layout === "xbstream" && chainOf(m)) return materializeChain(ctx, reader, datadir, xbstreamTools(String(m.details.tool ?? "mariadb-backup")));
  const obj = physicalObject(m);
  ctx.progress({ phase: "extracting", bytesDone: 0, bytesTotal: obj.rawSize, detail: reader.describe(obj) });
  let bytes = 0;
  const t0 = Date.now();
  const source = await reader.open(obj);
  if (m.layout === "tar") {
    const r = await extractTar(source, datadir, { signal: ctx.signal, onBytes: (n) => ctx.progress({ bytesDone: (bytes += n) }) });
    bytes = r.bytes;
  } else if (m.layout === "xbstream") {
    const tools = xbstreamTools(String(m.details.tool ?? "mariadb-backup"));
    source.on("data", (c: Buffer) => ctx.progress({ bytesDone: (bytes += c.length) }));
    await runTool(tools.extract, ["-x", "-C", datadir], { what: `Unpacking ${reader.describe(obj)} with ${tools.extract}`, stdin: source, signal: ctx.signal });
  } else {
    source.destroy();
    throw new DomainError("PRECONDITION", `Layout ${m.layout} is not a physical backup layout.`);
  }
  const extractMs = Date.now() - t0;
  let prepareMs = 0;
  if (m.layout === "xbstream") {
    const tools = xbstreamTools(String(m.details.tool ?? "mariadb-backup"));
    ctx.progress({ phase: "preparing", detail: `${tools.label} --prepare` });
    const t1 = Date.now();
    await runTool(tools.prepare, ["--prepare", `--target-dir=${datadir}`], { what: `${tools.label} --prepare of ${datadir}`, signal: ctx.signal });
    prepareMs = Date.now() - t1;
    ctx.log("info", `Prepared ${datadir} in ${Math.round(prepareMs / 100) / 10} s.`);
  }
  const binlogBasename = await repairBinlogIndex(datadir);
  return { datadir, layout: m.layout, bytes, binlogBasename, extractMs, prepareMs };
}
