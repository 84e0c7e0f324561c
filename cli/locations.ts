import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { Compression } from "../server/artifact/compression";
import type { ConfigFile } from "../server/config-file";
import { DomainError } from "../server/errors";
import { LocalStore } from "../server/storage/local-store";
import type { ObjectStore } from "../server/storage/object-store";
import { MIN_PART_SIZE, S3Store } from "../server/storage/s3-store";
import { pick } from "./common";
import { UsageError } from "./usage";

export type S3Flags = { s3Endpoint?: string; s3Region?: string; s3PathStyle?: boolean; workers?: number; partSize?: number; encryption?: string; kmsKeyId?: string };

/** --s3-endpoint --s3-region --s3-path-style (credentials only from AWS_* variables). */
export function withS3Flags(cmd: Command): Command {
  return cmd
    .option("--s3-endpoint <url>", "S3-compatible endpoint, e.g. http://minio:9000 (default: AWS, or $AWS_ENDPOINT_URL_S3)")
    .option("--s3-region <region>", "S3 region (default: $AWS_REGION or us-east-1)")
    .option("--s3-path-style", "path-style addressing (on by default with --s3-endpoint)");
}

/** S3 settings from flags, then the config file's storage.s3 and backup.streaming sections. */
export function s3FromCommand(cmd: Command, cfg: ConfigFile = {}): S3Flags {
  const s = cfg.storage?.s3 ?? {};
  const st = cfg.backup?.streaming ?? {};
  const has = (k: string) => cmd.options.some((o) => o.attributeName() === k);
  return {
    s3Endpoint: pick(cmd, "s3Endpoint", s.endpoint),
    s3Region: pick(cmd, "s3Region", s.region),
    s3PathStyle: pick(cmd, "s3PathStyle", s.path_style),
    workers: has("workers") ? pick(cmd, "workers", st.workers) : st.workers,
    partSize: has("partSize") ? pick(cmd, "partSize", st.part_size) : st.part_size,
    encryption: has("encryption") ? pick(cmd, "encryption", st.encryption) : st.encryption,
    kmsKeyId: has("kmsKeyId") ? pick(cmd, "kmsKeyId", st.kms_key_id) : st.kms_key_id,
  };
}

function sseOf(v: string | undefined): "none" | "AES256" | "aws:kms" {
  if (!v || v.toLowerCase() === "none") return "none";
  if (v.toUpperCase() === "AES256") return "AES256";
  if (v.toLowerCase() === "aws:kms") return "aws:kms";
  throw new UsageError(`--encryption ${v}: S3 server-side encryption is AES256 or aws:kms (client-side encryption is --encryption-key-file)`);
}

export function isS3(location: string) {
  return location.startsWith("s3://");
}

/**
 * Why `bucket` cannot be an S3 bucket name, or null when it can. The rule (AWS's, which
 * S3-compatible servers follow): 3 to 63 characters of lowercase letters, digits, dots and hyphens,
 * beginning and ending with a letter or digit, no two dots in a row, not an IP address.
 */
export function bucketNameProblem(bucket: string): string | null {
  const rule = "bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit";
  if (bucket.length < 3 || bucket.length > 63) return `${rule} (this one has ${bucket.length})`;
  const bad = [...new Set(bucket.replace(/[a-z0-9.-]/g, ""))];
  if (bad.length) return `${rule}; ${bad.map((ch) => JSON.stringify(ch)).join(", ")} ${bad.length === 1 ? "is" : "are"} not allowed${/[A-Z]/.test(bucket) ? " (no capitals)" : ""}`;
  if (!/^[a-z0-9].*[a-z0-9]$/.test(bucket)) return `${rule}`;
  if (bucket.includes("..")) return `${rule}, with no two dots in a row`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return `${rule}, and not an IP address`;
  return null;
}

/** s3://bucket/prefix split, or a usage error (exit 2) saying what is wrong with the URL. */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]*)\/?(.*)$/.exec(location);
  if (!m || !m[1]) throw new UsageError(`${location}: name a bucket, as in s3://bucket/prefix/ (a backup set) or s3://bucket/path/db.sql.zst (one object)`);
  const problem = bucketNameProblem(m[1]);
  if (problem) throw new UsageError(`${location}: ${JSON.stringify(m[1])} is not a valid S3 bucket name: ${problem}`);
  return { bucket: m[1], prefix: m[2] ?? "" };
}

/**
 * Checks, before connecting to any server, that a local output can be created: the nearest
 * existing ancestor of `target` must be a directory (not a file) in which this process can create
 * entries. A usage error (exit 2) names the path that is in the way.
 */
export function checkLocalOutputCreatable(target: string, display = target) {
  // ENOTDIR: a file in the middle of the path; the walk up finds it
  const statOf = (p: string) => {
    try {
      return fs.statSync(p, { throwIfNoEntry: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw e;
    }
  };
  let dir = path.resolve(target);
  let st = statOf(dir);
  if (st?.isDirectory()) {
    probeDirectory(dir, display);
    return;
  }
  if (st) {
    if (display.endsWith("/")) throw new UsageError(`${display}: ${dir} is a file, not a directory; a backup set needs a directory of its own`);
    return; // an existing file: checkOutputFree refuses it by name
  }
  for (;;) {
    const parent = path.dirname(dir);
    st = statOf(parent);
    if (st) {
      if (!st.isDirectory()) throw new UsageError(`${display}: ${parent} is a file, not a directory, so nothing can be created under it; choose another location`);
      probeDirectory(parent, display);
      return;
    }
    if (parent === dir) return;
    dir = parent;
  }
}

/** Creates and removes an empty directory in `dir`: the only sure test that entries can be made there. */
function probeDirectory(dir: string, display: string) {
  let probe: string;
  try {
    probe = fs.mkdtempSync(path.join(dir, ".dbbackup-probe-"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "EROFS"
          ? "the filesystem is read-only"
          : code === "ENOSPC"
            ? "the filesystem is full"
            : code === "ENOENT"
              ? "this filesystem does not allow new files there"
              : ((e as Error).message ?? String(code));
    throw new UsageError(`${display} cannot be written: nothing can be created in ${dir} (${why}); choose a writable location`);
  }
  fs.rmSync(probe, { recursive: true, force: true });
}

/** An S3 store rooted at a bucket (keys are full object keys). */
export function s3Store(bucket: string, s3: S3Flags): S3Store {
  if (s3.partSize !== undefined && s3.partSize < MIN_PART_SIZE) throw new UsageError(`--part-size ${s3.partSize}: S3 parts are at least ${MIN_PART_SIZE} bytes (5 MiB)`);
  const sse = sseOf(s3.encryption);
  if (s3.kmsKeyId && sse !== "aws:kms") throw new UsageError("--kms-key-id needs --encryption aws:kms");
  return new S3Store({
    endpoint: s3.s3Endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? null,
    region: s3.s3Region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    bucket,
    prefix: "",
    forcePathStyle: s3.s3PathStyle ?? !!(s3.s3Endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? null,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? null,
    sse,
    kmsKeyId: s3.kmsKeyId ?? null,
    partSize: s3.partSize,
    workers: s3.workers,
  });
}

/**
 * Where a CLI command reads or writes: a local path or s3://bucket/prefix. Returns the store rooted
 * at the directory/bucket and the key (file) or prefix (set) inside it.
 * S3 credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the SDK's usual chain).
 */
export function openLocation(location: string, s3: S3Flags = {}, kind: "file" | "set"): { store: ObjectStore; key: string; display: string } {
  if (isS3(location)) {
    const { bucket, prefix } = parseS3Location(location);
    const store = s3Store(bucket, s3);
    const key = kind === "set" ? (prefix === "" || prefix.endsWith("/") ? prefix : prefix + "/") : prefix;
    if (kind === "file" && (!key || key.endsWith("/"))) throw new UsageError( `${location}: name the object, e.g. s3://${bucket}/${key}backup.sql.zst`);
    return { store, key, display: store.describe(key) };
  }
  const abs = path.resolve(location);
  if (kind === "file") return { store: new LocalStore(path.dirname(abs)), key: path.basename(abs), display: abs };
  return { store: new LocalStore(abs), key: "", display: abs + "/" };
}

export type OutputKind =
  /** one SQL file the stock client replays (logical engine) */
  | { kind: "sql-file"; compression: Compression; encrypted: boolean }
  /** one physical archive (db.tar.gz, db.xbstream.zst) with its manifest beside it */
  | { kind: "archive"; layout: "tar" | "xbstream"; compression: Compression; encrypted: boolean }
  /** a backup set: a directory or an s3:// prefix holding objects and manifest.json */
  | { kind: "set" };

const compressionOfExt = (ext: string | undefined): Compression => (ext === "gz" ? "gzip" : ext === "zst" ? "zstd" : "none");

/** What an --output names, from its form: db.sql.zst, db.tar.gz, or a directory / s3 prefix. */
export function classifyOutput(location: string): OutputKind {
  if (location.endsWith("/")) return { kind: "set" };
  const sql = /\.sql(?:\.(gz|zst))?(\.enc)?$/i.exec(location);
  if (sql) return { kind: "sql-file", compression: compressionOfExt(sql[1]?.toLowerCase()), encrypted: !!sql[2] };
  const arc = /\.(tar|xbstream)(?:\.(gz|zst))?(\.enc)?$/i.exec(location);
  if (arc) return { kind: "archive", layout: arc[1]!.toLowerCase() as "tar" | "xbstream", compression: compressionOfExt(arc[2]?.toLowerCase()), encrypted: !!arc[3] };
  return { kind: "set" };
}

/** How a readable location is laid out: a set (directory/prefix) or a single file with its sidecar manifest. */
export async function locateBackup(location: string, s3: S3Flags): Promise<{ store: ObjectStore; key: string; single: boolean; display: string }> {
  if (isS3(location)) {
    const { bucket, prefix } = parseS3Location(location);
    const store = s3Store(bucket, s3);
    if (prefix && !prefix.endsWith("/") && (await store.head(`${prefix}.manifest.json`))) return { store, key: prefix, single: true, display: store.describe(prefix) };
    const p = prefix === "" || prefix.endsWith("/") ? prefix : prefix + "/";
    return { store, key: p, single: false, display: store.describe(p) };
  }
  const abs = path.resolve(location);
  const st = fs.statSync(abs, { throwIfNoEntry: false });
  if (!st) throw new DomainError("NOT_FOUND", `${abs} does not exist.`);
  if (st.isFile()) {
    if (abs.endsWith(".manifest.json")) return locateBackup(abs.slice(0, -".manifest.json".length), s3);
    return { store: new LocalStore(path.dirname(abs)), key: path.basename(abs), single: true, display: abs };
  }
  return { store: new LocalStore(abs), key: "", single: false, display: abs + "/" };
}
