import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import type { Compression } from "../../server/artifact/compression";
import type { Manifest } from "../../server/artifact/manifest";
import { engineOptionsFromConfig, parseSize } from "../../server/config-file";
import { dumpToSqlFile } from "../../server/engines/logical";
import { describeAddress, type ServerAddress } from "../../server/mysql/connection-options";
import { backupToSet, chooseEngine, engineLayout } from "../../server/backup-pipeline/backup-to-set";
import { baseFromSet } from "../../server/backup-pipeline/chain-base";
import { gatherInfo } from "../../server/backup-pipeline/gather-info";
import { backupLogicalToTar } from "../../server/backup-pipeline/logical-tar";
import { listEngines } from "../../server/engines/registry";
import type { ServerFacts } from "../../server/mysql/server-facts";
import { SidecarStore, sidecarManifestKey } from "../../server/backup-pipeline/sidecar-store";
import type { ObjectStore } from "../../server/storage/object-store";
import { LocalStore } from "../../server/storage/local-store";
import { formatBytes, formatDuration } from "../../server/util/format";
import { newId } from "../../server/util/ids";
import { collectList, configOf, given, out, parseIntFlag, pick, printJson, withCommonFlags } from "../common";
import { addressFromCommand, withConnectionFlags } from "../connection";
import { readKeyFile } from "../encryption-key";
import { checkLocalOutputCreatable, classifyOutput, isS3, locateBackup, openLocation, s3FromCommand, withS3Flags, type OutputKind, type S3Flags } from "../locations";
import { Interrupted } from "../interrupted";
import { UsageError, usage } from "../usage";
import { terminalContext } from "../work-context";

export const ENGINE_NAMES = ["auto", "mysqldump", "logical", "clone", "snapshot", "mariabackup", "xtrabackup"];

type Plan = {
  mode: "physical" | "stream";
  output: string;
  kind: OutputKind;
  server: ServerAddress;
  engine: string;
  compression: Compression;
  level?: number;
  parallel: number;
  databases: string[];
  excludeTables: string[];
  includeUsers: boolean;
  key: Buffer | null;
  options: Record<string, unknown>;
  /** a delta: the base's location (absolute path or s3:// URL) and its kind */
  incremental: { from: string; kind: "incremental" | "differential" } | null;
  s3: S3Flags;
  quiet: boolean;
  json: boolean;
};

function sizeFlag(name: string) {
  return (v: string): number => {
    const n = parseSize(v);
    if (n === null) throw new UsageError(`${name} ${v}: not a size (bytes, or like 20M)`);
    return n;
  };
}

function addBackupFlags(cmd: Command): Command {
  cmd
    .option("--engine <name>", `backup engine: ${ENGINE_NAMES.join(" | ")}`, "auto")
    .option("--databases <list>", "databases to back up, comma-separated or repeated (default: all user databases)", collectList)
    .option("--exclude-tables <list>", "db.table to leave out, comma-separated or repeated", collectList)
    .option("--compression <algo>", "zstd | gzip | none (for files: taken from the name, e.g. .sql.gz)", "zstd")
    .option("--level <n>", "compression level (zstd 1-19, gzip 1-9)", parseIntFlag("--level", 1, 19))
    .option("--parallel <n>", "parallel connections / workers", parseIntFlag("--parallel", 1, 64), 4)
    .option("--encryption-key-file <file>", "encrypt client-side (AES-256-GCM) with the key in this file: 64 hex chars, base64 of 32 bytes, or a passphrase")
    .option("--include-users", "also back up accounts and grants (logical engine)")
    .option("--snapshot-backend <name>", "snapshot engine: lvm | zfs | btrfs (default: detected from the datadir)")
    .option("--datadir <dir>", "physical engines: the server's datadir as seen from this machine (default: @@datadir)")
    .option("--clone-remote", "clone engine: clone from a remote donor into the MySQL server given by --host/--port")
    .option("--clone-donor-host <host>", "clone engine: the donor server")
    .option("--clone-donor-port <port>", "clone engine: the donor's port", parseIntFlag("--clone-donor-port", 1, 65535))
    .option("--clone-donor-user <user>", "clone engine: account on the donor with BACKUP_ADMIN (default: --user)")
    .option("--clone-donor-password-file <file>", "clone engine: the donor account's password (default: the connection's)")
    .option("--incremental-from <location>", "mariabackup: back up only the pages changed since this earlier backup (a directory, s3:// prefix or .xbstream file); restore finds the chain through it")
    .option("--differential", "with --incremental-from: the base is the chain's full backup (refused otherwise), and the backup is recorded as a differential");
  withConnectionFlags(cmd);
  withS3Flags(cmd);
  withCommonFlags(cmd);
  return cmd;
}

export function registerBackupCommands(program: Command) {
  const physical = program
    .command("physical-backup")
    .description("back up a server with an engine: to a .sql[.gz|.zst] file, a physical archive (.tar.gz, .xbstream.zst), a directory, or an s3:// prefix")
    .option("--output <location>", "file.sql.zst | file.tar.gz | directory/ | s3://bucket/prefix/ | s3://bucket/key.sql.zst")
    .option("--workers <n>", "S3: parts uploaded in parallel", parseIntFlag("--workers", 1, 64))
    .option("--part-size <bytes>", "S3: multipart part size (at least 5M)", sizeFlag("--part-size"))
    .option("--encryption <sse>", "S3 server-side encryption: AES256 | aws:kms")
    .option("--kms-key-id <id>", "S3: KMS key for aws:kms");
  addBackupFlags(physical).action(async (_o, c: Command) => runBackup(await usage(() => resolvePlan(c, "physical"))));

  const stream = program
    .command("stream-backup")
    .description("stream any engine's output straight to S3 by parallel multipart upload (no local staging)")
    .option("--target <s3url>", "s3://bucket/prefix/ (a backup set) or s3://bucket/key.tar.gz / .sql.zst (one object)")
    .option("--workers <n>", "parts uploaded in parallel", parseIntFlag("--workers", 1, 64), 4)
    .option("--part-size <bytes>", "multipart part size (at least 5M)", sizeFlag("--part-size"), 10 * 2 ** 20)
    .option("--encryption <sse>", "S3 server-side encryption: AES256 | aws:kms (client-side: --encryption-key-file)")
    .option("--kms-key-id <id>", "KMS key for aws:kms");
  addBackupFlags(stream).action(async (_o, c: Command) => runBackup(await usage(() => resolvePlan(c, "stream"))));
}

function resolvePlan(c: Command, mode: Plan["mode"]): Plan {
  const cfg = configOf(c);
  const b = cfg.backup ?? {};
  const output = (mode === "stream" ? pick(c, "target", cfg.output) : pick(c, "output", cfg.output)) as string | undefined;
  if (!output) {
    throw new UsageError(
      mode === "stream"
        ? "stream-backup needs --target s3://bucket/prefix/ (or output: in the config file)"
        : "physical-backup needs --output: file.sql.zst, file.tar.gz, a directory, or s3://bucket/prefix/ (or output: in the config file)",
    );
  }
  if (mode === "stream" && !isS3(output)) throw new UsageError(`--target ${output}: stream-backup writes to S3 (s3://bucket/prefix/); for a local file or directory use physical-backup --output`);
  const engine = pick<string>(c, "engine", b.engine);
  if (!ENGINE_NAMES.includes(engine)) throw new UsageError(`--engine ${engine}: unknown engine; use one of ${ENGINE_NAMES.join(", ")}`);
  const kind = classifyOutput(output);

  let compression = pick<Compression>(c, "compression", b.compression);
  if (!["zstd", "gzip", "none"].includes(compression)) throw new UsageError(`--compression ${compression}: use zstd, gzip or none`);
  const keyFile = pick<string | undefined>(c, "encryptionKeyFile", b.encryption_key_file);
  const key = keyFile ? readKeyFile(keyFile) : null;
  if (kind.kind !== "set") {
    const name = path.posix.basename(output);
    if (given(c, "compression") && compression !== kind.compression) {
      throw new UsageError(`--compression ${compression} does not match the file name ${name} (${kind.compression}): name the file for its compression (.gz, .zst, or neither) and leave --compression out`);
    }
    compression = kind.compression;
    if (key && !kind.encrypted) throw new UsageError(`${name} will be encrypted (--encryption-key-file): name it ${name}.enc, since zstd/gzip/tar cannot read it without dbbackup`);
    if (!key && kind.encrypted) throw new UsageError(`${name} ends in .enc but no --encryption-key-file was given`);
  }
  if (kind.kind === "sql-file" && !["auto", "logical", "mysqldump"].includes(engine)) {
    throw new UsageError(`${path.posix.basename(output)} is a SQL file, which only the logical engine writes; the ${engine} engine writes ${engineLayout(engine) === "xbstream" ? "an xbstream archive (name it .xbstream.zst)" : "a tar archive (name it .tar.gz)"} or a directory`);
  }
  if (kind.kind === "archive" && engine !== "auto" && engineLayout(engine) !== kind.layout) {
    const layout = engineLayout(engine);
    throw new UsageError(
      layout === "logical-set"
        ? `the ${engine} engine writes many objects, not one ${kind.layout} archive: write it to a directory, an s3:// prefix, or a .sql.zst file`
        : `the ${engine} engine writes ${layout === "tar" ? "a tar archive: name the output .tar.gz or .tar.zst" : "an xbstream archive: name the output .xbstream.zst or .xbstream.gz"}`,
    );
  }

  const options: Record<string, unknown> = engineOptionsFromConfig(b);
  const backend = c.getOptionValue("snapshotBackend") as string | undefined;
  if (backend) {
    if (!["lvm", "zfs", "btrfs", "auto"].includes(backend)) throw new UsageError(`--snapshot-backend ${backend}: use lvm, zfs or btrfs`);
    options.snapshotBackend = backend;
  }
  const datadir = pick<string | undefined>(c, "datadir", b.clone?.data_dir);
  if (datadir) options.datadir = datadir;

  let server = addressFromCommand(c, cfg);
  let engineName = engine;
  const incrementalFrom = c.getOptionValue("incrementalFrom") as string | undefined;
  if (given(c, "differential") && !incrementalFrom) throw new UsageError("--differential needs --incremental-from <the chain's full backup>");
  if (incrementalFrom) {
    if (engine !== "auto" && engineLayout(engine) !== "xbstream") throw new UsageError(`--incremental-from: the ${engine} engine takes only full backups; incrementals are mariabackup's (--engine mariabackup)`);
    if (kind.kind === "sql-file" || (kind.kind === "archive" && kind.layout !== "xbstream")) throw new UsageError(`--incremental-from: a mariabackup delta is written to a directory, an s3:// prefix or a .xbstream.zst file, not ${path.posix.basename(output)}`);
    if (engine === "auto") engineName = "mariabackup";
  }
  const remote = b.clone?.remote;
  const cloneRemote = given(c, "cloneRemote") || (engine === "clone" && !!remote?.enabled);
  if (cloneRemote) {
    if (engine !== "auto" && engine !== "clone") throw new UsageError(`--clone-remote is an option of the clone engine, not ${engine}`);
    engineName = "clone";
    const donorHost = pick<string | undefined>(c, "cloneDonorHost", remote?.donor_host || undefined);
    if (!donorHost) throw new UsageError("--clone-remote needs --clone-donor-host (the server to clone from)");
    const donorPasswordFile = c.getOptionValue("cloneDonorPasswordFile") as string | undefined;
    let donorPassword = server.password;
    if (donorPasswordFile) {
      try {
        donorPassword = fs.readFileSync(donorPasswordFile, "utf8").replace(/\r?\n$/, "");
      } catch (e) {
        throw new UsageError(`--clone-donor-password-file ${donorPasswordFile}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
      }
    } else if (typeof (options.clone as { remote?: { donor_password?: string } } | undefined)?.remote?.donor_password === "string") {
      donorPassword = (options.clone as { remote: { donor_password: string } }).remote.donor_password;
    }
    const donor: ServerAddress = {
      ...server,
      host: donorHost,
      port: pick<number | undefined>(c, "cloneDonorPort", remote?.donor_port) ?? 3306,
      socket: null,
      user: pick<string | undefined>(c, "cloneDonorUser", remote?.donor_user) ?? server.user,
      password: donorPassword,
    };
    // the server given by --host/--port runs CLONE INSTANCE and receives the copy; the donor is backed up
    Object.assign(options, { cloneRemote: true, cloneDonorHost: donor.host, cloneDonorPort: donor.port, cloneDonorUser: donor.user, cloneDonorPassword: donor.password ?? "", recipient: server });
    server = donor;
  }

  return {
    mode,
    output,
    kind,
    server,
    engine: engineName,
    compression,
    level: pick<number | undefined>(c, "level", b.level),
    parallel: pick<number>(c, "parallel", b.parallel),
    databases: given(c, "databases") ? (c.getOptionValue("databases") as string[]) : (b.databases ?? []),
    excludeTables: given(c, "excludeTables") ? (c.getOptionValue("excludeTables") as string[]) : (b.exclude_tables ?? []),
    includeUsers: pick<boolean | undefined>(c, "includeUsers", b.include_users) ?? false,
    key,
    options,
    incremental: incrementalFrom ? { from: isS3(incrementalFrom) ? incrementalFrom : path.resolve(incrementalFrom), kind: given(c, "differential") ? "differential" : "incremental" } : null,
    s3: s3FromCommand(c, cfg),
    quiet: !!c.getOptionValue("quiet"),
    json: !!c.getOptionValue("json"),
  };
}

const tarEngines = () => listEngines().filter((e) => e.layout === "tar");

/** True when an engine that writes a tar of the datadir (snapshot, clone) can back up this server. */
function tarEngineAvailable(facts: ServerFacts): boolean {
  return tarEngines().some((e) => e.availability(facts).available);
}

function tarEngineReasons(facts: ServerFacts): string {
  return tarEngines()
    .map((e) => `${e.name}: ${e.availability(facts).reasons[0] ?? "unavailable"}`)
    .join("; ");
}

/** Refuses to write over anything: a set needs an empty place, a file a free name. */
async function checkOutputFree(store: ObjectStore, key: string, kind: OutputKind, display: string) {
  if (kind.kind === "set") {
    if (store instanceof LocalStore) {
      const st = fs.statSync(store.root, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) throw new UsageError(`${store.root} exists and is not a directory`);
      if (st && fs.readdirSync(store.root).length) throw new UsageError(`${display} is not empty: a backup set needs a directory of its own (choose a new one, e.g. ${path.join(store.root, new Date().toISOString().slice(0, 10))}/)`);
      return;
    }
    for await (const o of store.list(key)) throw new UsageError(`${display} already holds objects (${o.key}): a backup set needs a prefix of its own`);
    return;
  }
  for (const k of [key, sidecarManifestKey(key)]) {
    if (await store.head(k)) throw new UsageError(`${store.describe(k)} already exists: choose another name (backups are never overwritten)`);
  }
}

/** After a failed local set backup, leave the directory as it was before (absent, or empty). */
async function cleanLocalSet(dir: string, existed: boolean) {
  if (!existed) {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return;
  }
  for (const e of await fsp.readdir(dir).catch(() => [] as string[])) await fsp.rm(path.join(dir, e), { recursive: true, force: true }).catch(() => undefined);
}

async function runBackup(p: Plan) {
  // the output location is checked before connecting to (and locking) the server
  const where = openLocation(p.output, p.s3, p.kind.kind === "set" ? "set" : "file");
  if (where.store instanceof LocalStore) checkLocalOutputCreatable(p.kind.kind === "set" ? where.store.root : path.join(where.store.root, where.key), where.display);
  await checkOutputFree(where.store, where.key, p.kind, where.display);
  const localSet = p.kind.kind === "set" && where.store instanceof LocalStore ? where.store.root : null;
  const existed = localSet ? fs.existsSync(localSet) : false;
  const ctx = terminalContext({ quiet: p.quiet });
  const t0 = Date.now();
  let manifest: Manifest;
  let reason = "";
  try {
    ctx.progress({ phase: "connecting" });
    const facts = await gatherInfo(p.server);
    ctx.log("info", `${describeAddress(p.server)}: ${facts.flavor} ${facts.version}, ${formatBytes(facts.totalBytes)} of data, binlog ${facts.binlog.enabled ? "on" : "off"}.`);
    const filter = { databases: p.databases, excludeTables: p.excludeTables };
    const destination = isS3(p.output) ? "s3" : "local";
    // the logical engine written as one file (a .sql file, or its set as a tar)
    const logicalArgs = {
      server: p.server,
      facts,
      store: where.store,
      key: where.key,
      compression: p.compression,
      level: p.level,
      encryptionKey: p.key,
      filter,
      parallel: p.parallel,
      includeUsers: p.includeUsers,
      hostName: facts.hostname || describeAddress(p.server),
      backupId: newId("b"),
    };
    if (p.kind.kind === "sql-file") {
      reason = "a .sql file is written by the logical engine";
      ctx.log("info", `Engine: logical (one SQL file the stock client replays). Writing ${where.display}.`);
      ({ manifest } = await dumpToSqlFile(ctx, logicalArgs));
    } else if (p.kind.kind === "archive" && p.kind.layout === "tar" && p.engine === "auto" && !tarEngineAvailable(facts)) {
      // the seed's `physical-backup --output db.tar.gz` works on every server: the logical set, as a tar
      reason = `no engine that writes a tar archive can back up this server (${tarEngineReasons(facts)}), so the logical backup set is written as a tar (objects, then manifest.json)`;
      ctx.log("info", `Engine: logical, as a tar archive: ${reason}. Writing ${where.display}.`);
      ({ manifest } = await backupLogicalToTar(ctx, { ...logicalArgs, writeOptions: { partSize: p.s3.partSize, workers: p.s3.workers }, reason }));
    } else {
      const choice = chooseEngine(facts, { engine: p.engine, destination, layouts: p.kind.kind === "archive" ? [p.kind.layout] : undefined });
      reason = choice.reason;
      const base = p.incremental ? await cliChainBase(p.incremental, p.s3) : null;
      if (localSet) await fsp.mkdir(localSet, { recursive: true });
      const r = await backupToSet(ctx, {
        server: p.server,
        facts,
        engine: choice.engine,
        reason: choice.reason,
        store: where.store,
        prefix: p.kind.kind === "set" ? where.key : "",
        singleFile: p.kind.kind === "archive" ? where.key : undefined,
        compression: p.compression,
        level: p.level,
        key: p.key,
        writeOptions: { partSize: p.s3.partSize, workers: p.s3.workers },
        filter,
        parallel: p.parallel,
        includeUsers: p.includeUsers,
        options: p.options,
        base,
      });
      manifest = r.manifest;
    }
  } catch (e) {
    if (localSet) await cleanLocalSet(localSet, existed);
    const sig = ctx.interruptedBy();
    ctx.done();
    if (sig) throw new Interrupted(`interrupted by ${sig}: the partial backup at ${where.display} was removed`);
    throw e;
  }
  ctx.done();
  const manifestAt = p.kind.kind === "set" ? where.store.describe(where.key + "manifest.json") : where.store.describe(sidecarManifestKey(where.key));
  const ms = Date.now() - t0;
  if (p.json) {
    printJson({
      id: manifest.id,
      engine: manifest.engine,
      layout: manifest.layout,
      location: where.display,
      manifest: manifestAt,
      reason,
      objects: manifest.objects.length,
      storedBytes: manifest.totals.storedBytes,
      rawBytes: manifest.totals.rawBytes,
      rows: manifest.totals.rows,
      tables: manifest.totals.tables,
      lockMs: manifest.lockMs,
      coordinates: manifest.coordinates,
      encrypted: !!manifest.encryption,
      ...(manifest.chain ? { chain: manifest.chain } : {}),
      durationMs: ms,
    });
    return;
  }
  if (manifest.chain?.parent) out(`  ${manifest.chain.kind} since ${manifest.chain.parent.id} (${manifest.chain.parent.location}): LSN ${manifest.chain.fromLsn} -> ${manifest.chain.toLsn}, link ${manifest.chain.depth + 1} of its chain`);
  else if (manifest.chain) out(`  full backup, LSN ${manifest.chain.toLsn}: the base of later --incremental-from backups`);
  out(`Backup ${manifest.id} (${manifest.engine}, ${manifest.layout}) written to ${where.display}`);
  out(`  ${manifest.objects.length} object${manifest.objects.length === 1 ? "" : "s"}, ${formatBytes(manifest.totals.storedBytes)} stored (${formatBytes(manifest.totals.rawBytes)} raw), ${manifest.totals.rows.toLocaleString("en-US")} rows in ${manifest.totals.tables} tables, in ${formatDuration(ms)}`);
  out(`  lock ${manifest.lockMs ?? "—"} ms; binlog ${manifest.coordinates ? `${manifest.coordinates.file}:${manifest.coordinates.position}${manifest.coordinates.gtid ? ` (GTID ${manifest.coordinates.gtid})` : ""}` : "off (no coordinates)"}`);
  out(`  manifest ${manifestAt}${manifest.encryption ? `; encrypted with key ${manifest.encryption.keyId}` : ""}`);
  if (reason) out(`  engine reason: ${reason}`);
}


/** The base of a `--incremental-from` backup, read from its stored manifest (nothing of it needs to be on this disk). */
async function cliChainBase(inc: { from: string; kind: "incremental" | "differential" }, s3: S3Flags) {
  const loc = await locateBackup(inc.from, s3);
  const store = loc.single ? new SidecarStore(loc.store, loc.key) : loc.store;
  return baseFromSet(store, loc.single ? "" : loc.key, { location: inc.from, kind: inc.kind });
}
