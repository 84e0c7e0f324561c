import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import type { BackupSetReader } from "../../server/artifact/backup-set-reader";
import type { WorkContext } from "../../server/work-context";
import { writeDefaultsFile } from "../../server/engines/mariabackup/defaults-file";
import { DomainError, errorMessage } from "../../server/errors";
import { queryRows, withServer } from "../../server/mysql/connect";
import { describeAddress, type ServerAddress } from "../../server/mysql/connection-options";
import { findTool } from "../../server/mysql/tools";
import { LOGICAL_TAR_LAYOUT, openLogicalTar } from "../../server/backup-pipeline/logical-tar";
import { getRestorer } from "../../server/restore/registry";
import { materializeBackup } from "../../server/restore/physical/materialize";
import { isPhysicalLayout } from "../../server/restore/physical/physical-object";
import { formatBytes, formatDuration } from "../../server/util/format";
import { collectList, configOf, given, out, parseIntFlag, pick, printJson, withCommonFlags } from "../common";
import { addressFromCommand, withConnectionFlags } from "../connection";
import { readKeyFile } from "../encryption-key";
import { Interrupted } from "../interrupted";
import { s3FromCommand, withS3Flags, type S3Flags } from "../locations";
import { UsageError, usage } from "../usage";
import { terminalContext } from "../work-context";
import { openBackup } from "./verify";
import { checkPitrRestore, parsePitrTarget, replayArchive, type PitrTarget } from "./pitr";

type Plan = {
  from: string;
  s3: S3Flags;
  key: Buffer | null;
  target: ServerAddress;
  rename: Record<string, string>;
  databases: string[];
  dropExisting: boolean;
  parallel: number;
  datadir: string | null;
  inPlace: boolean;
  startCommand: string | null;
  pitr: { binlogs: string; target: PitrTarget } | null;
  quiet: boolean;
  json: boolean;
};

export function registerRestoreCommand(program: Command) {
  const cmd = program
    .command("restore")
    .description("restore a backup into a server (logical: any server, with renames; physical: a new datadir or the server's own), optionally to a point in time")
    .option("--from <location>", "backup set directory, s3://bucket/prefix/, or a single file (db.sql.zst, db.tar.gz)")
    .option("--rename-db <from:to>", "restore database <from> as <to>, comma-separated or repeated", collectList)
    .option("--databases <list>", "restore only these databases of the backup", collectList)
    .option("--drop-existing", "replace databases that already exist on the target (default: refuse)")
    .option("--parallel <n>", "parallel connections", parseIntFlag("--parallel", 1, 64), 4)
    .option("--encryption-key-file <file>", "the key of an encrypted backup")
    .option("--datadir <dir>", "physical backups: write a ready-to-start datadir into this new, empty directory")
    .option("--in-place", "physical backups: replace the datadir of the server given by --host/--port (it is stopped and started)")
    .option("--start-command <cmd>", "with --in-place: how the server is started, e.g. \"systemctl start mariadb\"")
    .option("--binlogs <location>", "point in time: the binlog archive (directory or s3://bucket/prefix/ written by binlog-stream)")
    .option("--until <time>", "point in time: replay binlogs up to this moment (ISO 8601, e.g. 2026-11-23T14:05:00Z)")
    .option("--until-gtid <gtid>", "point in time: replay up to and including this GTID")
    .option("--until-position <file:pos>", "point in time: replay up to this binlog position");
  withConnectionFlags(cmd);
  withS3Flags(cmd);
  withCommonFlags(cmd);
  cmd.action(async (_o, c: Command) => runRestore(await usage(() => resolvePlan(c))));
}

function resolvePlan(c: Command): Plan {
  const cfg = configOf(c);
  const from = c.getOptionValue("from") as string | undefined;
  if (!from) throw new UsageError("restore needs --from <backup set directory | s3://bucket/prefix/ | file>");
  const rename: Record<string, string> = {};
  for (const r of (c.getOptionValue("renameDb") as string[] | undefined) ?? []) {
    const m = /^([^:]+):([^:]+)$/.exec(r);
    if (!m) throw new UsageError(`--rename-db ${r}: write it as from:to, e.g. shop:shop_restored`);
    if (/[/\\.`]/.test(m[2]!)) throw new UsageError(`--rename-db ${r}: a database name cannot contain / \\ . or \``);
    rename[m[1]!] = m[2]!;
  }
  const keyFile = pick<string | undefined>(c, "encryptionKeyFile", cfg.backup?.encryption_key_file);
  const inPlace = !!c.getOptionValue("inPlace");
  const startCommand = (c.getOptionValue("startCommand") as string | undefined) ?? null;
  const datadir = (c.getOptionValue("datadir") as string | undefined) ?? null;
  if (inPlace && datadir) throw new UsageError("--in-place and --datadir exclude each other: replace the server's datadir, or write a new one");
  if (inPlace && !startCommand) throw new UsageError("--in-place needs --start-command (how the server is started again, e.g. \"systemctl start mariadb\")");
  const binlogs = (c.getOptionValue("binlogs") as string | undefined) ?? null;
  const untils = ["until", "untilGtid", "untilPosition"].filter((k) => given(c, k));
  if (untils.length > 1) throw new UsageError("give one of --until, --until-gtid, --until-position");
  if (untils.length && !binlogs) throw new UsageError(`--${untils[0]!.replace(/[A-Z]/g, (x) => "-" + x.toLowerCase())} needs --binlogs <archive> (the binlog archive to replay)`);
  const pitr = binlogs ? { binlogs, target: parsePitrTarget({ until: c.getOptionValue("until"), untilGtid: c.getOptionValue("untilGtid"), untilPosition: c.getOptionValue("untilPosition") }) } : null;
  if (pitr && datadir) {
    throw new UsageError("--binlogs replays into a running server, and --datadir only writes files: for a physical backup use --in-place --start-command (the server restarts on the restored datadir, then the binlogs are replayed into it)");
  }
  return {
    from,
    s3: s3FromCommand(c, cfg),
    key: keyFile ? readKeyFile(keyFile) : null,
    target: addressFromCommand(c, cfg),
    rename,
    databases: given(c, "databases") ? (c.getOptionValue("databases") as string[]) : [],
    dropExisting: !!c.getOptionValue("dropExisting"),
    parallel: c.getOptionValue("parallel") as number,
    datadir: datadir ? path.resolve(datadir) : null,
    inPlace,
    startCommand,
    pitr,
    quiet: !!c.getOptionValue("quiet"),
    json: !!c.getOptionValue("json"),
  };
}

async function runRestore(p: Plan) {
  const t0 = Date.now();
  const reader = await openBackup(p.from, p.s3, p.key);
  const m = reader.manifest;
  // the base can serve the target and the archive reaches back to its coordinates: checked before anything is restored
  if (p.pitr) await checkPitrRestore(reader, p.pitr.target, p.pitr.binlogs, p.s3);
  const ctx = terminalContext({ quiet: p.quiet });
  let result: Record<string, unknown>;
  // databases this restore creates: dropped again if the restore or the replay after it fails
  const created: string[] = [];
  try {
    if (isPhysicalLayout(m.layout)) result = await restorePhysical(ctx, reader, p);
    else if (m.layout === "sql-file") result = await restoreSqlFile(ctx, reader, p, created);
    else if (m.layout === LOGICAL_TAR_LAYOUT) {
      // a logical set inside a tar (db.tar.gz on a server without snapshot/clone): unpacked, then restored as a set
      const inner = await openLogicalTar(reader);
      try {
        result = await restoreLogical(ctx, inner.reader, p, created);
      } finally {
        await inner.cleanup();
      }
    }
    else result = await restoreLogical(ctx, reader, p, created);
    if (p.pitr) result.replay = await replayArchive(ctx, { reader, target: p.target, rename: p.rename, databases: p.databases, binlogs: p.pitr.binlogs, until: p.pitr.target, s3: p.s3 });
  } catch (e) {
    if (created.length) {
      await withServer(p.target, async (c) => {
        for (const n of created) await c.query(`DROP DATABASE IF EXISTS \`${n.replace(/`/g, "``")}\``).catch(() => undefined);
      }).catch(() => undefined);
    }
    const sig = ctx.interruptedBy();
    ctx.done();
    if (sig) throw new Interrupted(`interrupted by ${sig}: ${errorMessage(e)}${created.length ? ` (the databases it created, ${created.join(", ")}, were dropped)` : ""}`);
    throw e;
  }
  ctx.done();
  const ms = Date.now() - t0;
  if (p.json) return printJson({ backup: m.id, engine: m.engine, layout: m.layout, from: reader.describe(), ...result, durationMs: ms });
  out(`Restored backup ${m.id} (${m.engine}, ${m.layout}) from ${reader.describe()} in ${formatDuration(ms)}`);
  for (const [k, v] of Object.entries(result)) {
    if (v && typeof v === "object") {
      out(`  ${k}:`);
      for (const [k2, v2] of Object.entries(v)) out(`    ${k2}: ${String(v2)}`);
    } else out(`  ${k}: ${String(v)}`);
  }
}

async function restoreLogical(ctx: WorkContext, reader: BackupSetReader, p: Plan, created: string[]): Promise<Record<string, unknown>> {
  const m = reader.manifest;
  const sources = p.databases.length ? p.databases : m.databases.map((d) => d.name);
  const unknownRename = Object.keys(p.rename).filter((d) => !m.databases.some((x) => x.name === d));
  if (unknownRename.length) throw new DomainError("INVALID", `--rename-db names ${unknownRename.join(", ")}, which backup ${m.id} does not have (it has ${m.databases.map((d) => d.name).join(", ")}).`);
  const names = sources.map((d) => p.rename[d] ?? d);
  const existing = await withServer(p.target, async (c) => (await queryRows<{ n: string }>(c, "SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA")).map((r) => String(r.n)));
  const clash = names.filter((n) => existing.includes(n));
  if (clash.length && !p.dropExisting) {
    throw new DomainError("PRECONDITION", `${describeAddress(p.target)} already has database(s) ${clash.join(", ")}: restore under other names (--rename-db ${clash[0]}:${clash[0]}_restored) or replace them (--drop-existing).`);
  }
  // a failed restore leaves no half-filled database behind (those that existed were only touched with --drop-existing)
  created.push(...names.filter((n) => !existing.includes(n)));
  ctx.log("info", `Restoring ${m.id} into ${describeAddress(p.target)}: ${sources.map((d) => (p.rename[d] && p.rename[d] !== d ? `${d} -> ${p.rename[d]}` : d)).join(", ")}.`);
  const r = await getRestorer(m.layout)(ctx, { reader, target: p.target, rename: p.rename, databases: p.databases, parallel: p.parallel, dropExisting: p.dropExisting });
  return { target: describeAddress(p.target), databases: r.databases.join(", "), tables: r.tables, rows: r.rows, bytes: formatBytes(r.bytes) };
}

async function restorePhysical(ctx: WorkContext, reader: BackupSetReader, p: Plan): Promise<Record<string, unknown>> {
  const m = reader.manifest;
  if (Object.keys(p.rename).length || p.databases.length) throw new DomainError("INVALID", `Backup ${m.id} is a physical copy of a whole server (${m.engine}): it restores whole, without --rename-db or --databases.`);
  if (p.datadir) {
    const existed = fs.existsSync(p.datadir);
    try {
      const r = await materializeBackup(ctx, reader, p.datadir);
      return {
        datadir: r.datadir,
        bytes: formatBytes(r.bytes),
        next: `start a ${m.server.flavor} ${m.server.version.split(".").slice(0, 2).join(".")} server on it: mariadbd --datadir=${r.datadir}${r.binlogBasename ? ` --log-bin=${r.binlogBasename}` : ""} (chown it to the server's user first)`,
      };
    } catch (e) {
      if (!existed) await fsp.rm(p.datadir, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
  }
  if (!p.inPlace) {
    throw new DomainError(
      "INVALID",
      `Backup ${m.id} is a physical copy of a whole server (${m.engine}, ${m.layout}). Restore it into a new directory with --datadir DIR (then start a server on it), or replace the datadir of the server at --host/--port with --in-place --start-command "systemctl start mariadb".`,
    );
  }
  const r = await getRestorer(m.layout)(ctx, { reader, target: p.target, rename: {}, parallel: p.parallel, dropExisting: true, options: { inPlace: true, startCommand: p.startCommand } });
  return { target: describeAddress(p.target), databases: r.databases.join(", "), ...(r.details ?? {}) };
}

/** A single SQL file is replayed by the stock client, the way a person would (zstd -dc | mariadb). */
async function restoreSqlFile(ctx: WorkContext, reader: BackupSetReader, p: Plan, created: string[]): Promise<Record<string, unknown>> {
  const m = reader.manifest;
  if (Object.keys(p.rename).length || p.databases.length) {
    throw new DomainError("INVALID", `${reader.describe()} is a single SQL file, replayed whole: --rename-db and --databases need a backup set (physical-backup --output <directory or s3:// prefix>).`);
  }
  const client = findTool("mariadb", "mysql");
  if (!client) throw new DomainError("PRECONDITION", "Replaying a SQL file needs the mariadb (or mysql) client on this machine: apt-get install mariadb-client.");
  // the file replaces its tables (DROP TABLE IF EXISTS): a database that holds anything is only touched with --drop-existing
  const names = m.databases.map((d) => d.name);
  const state = await withServer(p.target, async (c) => {
    const rows = await queryRows<{ n: string; objects: number | string }>(
      c,
      `SELECT s.SCHEMA_NAME AS n, (SELECT COUNT(*) FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME) + (SELECT COUNT(*) FROM information_schema.ROUTINES r WHERE r.ROUTINE_SCHEMA = s.SCHEMA_NAME) AS objects FROM information_schema.SCHEMATA s`,
    );
    return new Map(rows.map((r) => [String(r.n), Number(r.objects)]));
  });
  const clash = names.filter((n) => (state.get(n) ?? 0) > 0);
  if (clash.length && !p.dropExisting) {
    throw new DomainError("PRECONDITION", `${describeAddress(p.target)} already has database(s) ${clash.join(", ")} with tables in them: replace them (--drop-existing), or restore a backup set under other names (--rename-db).`);
  }
  if (clash.length) {
    await withServer(p.target, async (c) => {
      for (const n of clash) await c.query(`DROP DATABASE \`${n.replace(/`/g, "``")}\``);
    });
  }
  // a failed replay leaves no half-filled database behind (empty ones that were there stay)
  created.push(...names.filter((n) => !state.has(n) || clash.includes(n)));
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dbbackup-restore-"));
  try {
    const defaults = await writeDefaultsFile(dir, p.target);
    const obj = m.objects[0]!;
    const source = await reader.open(obj);
    let bytes = 0;
    ctx.progress({ phase: "replaying", bytesDone: 0, bytesTotal: obj.rawSize, detail: path.basename(client) });
    // the client's connection id comes first on its stdout, so a failed replay can be stopped on the server too
    const feed = Readable.from(
      (async function* () {
        yield Buffer.from("SELECT CONNECTION_ID();\n");
        for await (const b of source as AsyncIterable<Buffer>) {
          ctx.progress({ bytesDone: (bytes += b.length) });
          yield b;
        }
      })(),
      { objectMode: false },
    );
    const tls = p.target.tlsMode === "disabled" || p.target.socket ? ["--skip-ssl"] : p.target.tlsMode === "preferred" ? [] : ["--ssl"];
    await feedClient(client, [`--defaults-file=${defaults}`, ...tls, "--max-allowed-packet=1G", "--batch", "--skip-column-names"], feed, ctx.signal, `Replaying ${reader.describe(obj)} with ${path.basename(client)} into ${describeAddress(p.target)}`, p.target);
    return { target: describeAddress(p.target), databases: names.join(", "), bytes: formatBytes(bytes) };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Ends a replay client's session on the server and waits until it is gone, so nothing it sent still runs. */
async function endSession(target: ServerAddress, id: number) {
  await withServer(target, async (c) => {
    await c.query(`KILL CONNECTION ${id}`).catch(() => undefined);
    for (let i = 0; i < 300; i++) {
      const rows = await queryRows<{ n: number | string }>(c, "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?", [id]);
      if (!Number(rows[0]?.n)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }).catch(() => undefined);
}

/**
 * Streams SQL into the client with backpressure. The client's own error (its last lines) wins over
 * the broken pipe it causes; a corrupted backup stops the feed and fails with the reader's error
 * (which names the file and says it is corrupt or truncated). With `target`, the first line on the
 * client's stdout is its connection id: on failure that session is ended on the server and waited
 * for, so the caller can drop what it created without racing a statement still running.
 */
async function feedClient(exe: string, args: string[], source: Readable, signal: AbortSignal, what: string, target?: ServerAddress): Promise<void> {
  const child = spawn(exe, args, { stdio: ["pipe", target ? "pipe" : "ignore", "pipe"] });
  let tail = "";
  let stdout = "";
  let sessionId: number | null = null;
  child.stderr!.on("data", (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  child.stdout?.on("data", (d: Buffer) => {
    if (sessionId !== null) return;
    stdout += d.toString();
    const m = /^(\d+)\n/.exec(stdout);
    if (m) sessionId = Number(m[1]);
  });
  const kill = () => child.kill("SIGKILL");
  signal.addEventListener("abort", kill, { once: true });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  child.stdin!.on("error", () => undefined);
  let feedError: unknown = null;
  await pipeline(source, child.stdin!).catch((e) => {
    feedError = e;
  });
  const readerFailed = !!feedError && !(feedError as NodeJS.ErrnoException).code?.startsWith("EPIPE");
  if (readerFailed) kill();
  const code = await exited;
  signal.removeEventListener("abort", kill);
  if (code !== 0 && target && sessionId !== null) await endSession(target, sessionId);
  if (signal.aborted) throw signal.reason ?? new Error("cancelled");
  if (readerFailed) throw new DomainError("INVALID", `${what} stopped: ${errorMessage(feedError)}`);
  if (code !== 0) {
    const last = tail.trim().split("\n").filter((l) => l.trim() && !/^-+$/.test(l.trim())).slice(-2).join(" ");
    throw new DomainError("INVALID", `${what} failed (${code === null ? "the client was killed" : `exit ${code}`}): ${last || "no output"}`);
  }
  if (feedError) throw feedError;
}
