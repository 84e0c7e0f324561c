import { z } from "zod";
import { isLvmSize, parseDuration, parseSize } from "./units";

/**
 * The YAML configuration, as the seed document writes it (snake_case keys), plus a `connection`
 * section, `storage`/`output` for the CLI and a `policy` section for the dashboard's import/export.
 * Every object is strict: an unknown key is an error with its path, never silently ignored.
 */

export const CONFIG_ENGINES = ["auto", "mysqldump", "logical", "clone", "snapshot", "mariabackup", "xtrabackup"] as const;

/** How a value is quoted in an error message. */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (typeof v === "object") return Array.isArray(v) ? "a list" : "a mapping";
  return String(v);
}

/** The message for a value of the wrong type, or for a missing required key. */
const expected = (what: string) => (i: { input?: unknown }) => (i.input === undefined ? "is required" : `${show(i.input)} should be ${what}`);

const text = () => z.string({ error: expected("a text value") }).trim().min(1, { error: () => "should not be empty" });
const flag = () => z.boolean({ error: expected("true or false") });
const int = (min: number, max: number, what = "a whole number") =>
  z
    .number({ error: expected(`${what} from ${min} to ${max}`) })
    .int({ error: (i) => `${show(i.input)} should be ${what} from ${min} to ${max}` })
    .min(min, { error: (i) => `${show(i.input)} should be ${what} from ${min} to ${max}` })
    .max(max, { error: (i) => `${show(i.input)} should be ${what} from ${min} to ${max}` });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: (i) => (i.input === undefined ? "is required" : `${show(i.input)} is not one of ${values.join(", ")}`) });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: expected("a list") });

/** A size in bytes: 20971520, "20M", "10MiB", "1G". */
const size = (example: string, min = 0) =>
  z.unknown().transform((v, ctx) => {
    const n = parseSize(v);
    if (n === null) {
      ctx.addIssue({ code: "custom", message: `${show(v)} is not a size like ${example}` });
      return z.NEVER;
    }
    if (n < min) {
      ctx.addIssue({ code: "custom", message: `${show(v)} is too small (at least ${min} bytes)` });
      return z.NEVER;
    }
    return n;
  });

/** A duration in milliseconds: "30s", "500ms", "5m", or seconds as a number. */
const duration = (example: string) =>
  z.unknown().transform((v, ctx) => {
    const n = parseDuration(v);
    if (n === null || n <= 0) {
      ctx.addIssue({ code: "custom", message: `${show(v)} is not a duration like ${example}` });
      return z.NEVER;
    }
    return n;
  });

const lvmSize = z.unknown().transform((v, ctx) => {
  if (!isLvmSize(v)) {
    ctx.addIssue({ code: "custom", message: `${show(v)} is not a size like 10G` });
    return z.NEVER;
  }
  return v.trim();
});

const cloneSection = z.strictObject({
  data_dir: text().optional(),
  remote: z
    .strictObject({
      enabled: flag().optional(),
      donor_host: z.string({ error: expected("a host name") }).optional(),
      donor_port: int(1, 65535, "a port").optional(),
      donor_user: text().optional(),
      donor_password_file: text().optional(),
    })
    .optional(),
});

const snapshotSection = z.strictObject({
  backend: oneOf(["auto", "lvm", "zfs", "btrfs"]).optional(),
  lvm: z.strictObject({ volume_group: text().optional(), logical_volume: text().optional(), snapshot_size: lvmSize.optional() }).optional(),
  zfs: z.strictObject({ dataset: text().optional() }).optional(),
  btrfs: z.strictObject({ subvolume: text().optional(), snapshot_dir: text().optional() }).optional(),
});

const streamingSection = z.strictObject({
  part_size: size("10485760 or 20M", 5 * 2 ** 20).optional(),
  workers: int(1, 64).optional(),
  checksum: z
    .boolean({ error: expected("true or false") })
    .refine((v) => v, { error: () => "false is not supported: every part is uploaded with its SHA-256 and checked by S3" })
    .optional(),
  /** S3 server-side encryption (client-side encryption is backup.encryption_key_file) */
  encryption: oneOf(["none", "AES256", "aws:kms"]).optional(),
  kms_key_id: text().optional(),
});

const fileTarget = z.strictObject({
  type: z.literal("file"),
  path: text(),
  compress: flag().optional(),
  rotate_size: size("1073741824 or 1G", 4096).optional(),
});
const s3Target = z.strictObject({
  type: z.literal("s3"),
  bucket: text(),
  prefix: z.string({ error: expected("a text value") }).optional(),
  region: text().optional(),
  endpoint: text().optional(),
  path_style: flag().optional(),
  compress: flag().optional(),
  rotate_size: size("1073741824 or 1G", 4096).optional(),
});
const binlogTarget = z.discriminatedUnion("type", [fileTarget, s3Target], {
  error: (i) => (i.code === "invalid_union" ? `${show((i.input as { type?: unknown } | undefined)?.type)} is not a binlog target type (file or s3)` : undefined),
});

const binlogSection = z.strictObject({
  enabled: flag().optional(),
  server_id: int(1, 4294967295, "a server id").optional(),
  use_gtid: flag().optional(),
  checkpoint_interval: duration("30s or 250ms").optional(),
  /** oldest | current | FILE:POS | a GTID (first start only; later runs resume) */
  start: text().optional(),
  /** working directory for an S3-only archive (the open segment and the checkpoint) */
  work_dir: text().optional(),
  targets: list(binlogTarget).optional(),
});

const backupSection = z.strictObject({
  engine: oneOf(CONFIG_ENGINES).optional(),
  databases: list(text()).optional(),
  exclude_tables: list(text().regex(/^[^.]+\.[^.]+$/, { error: (i) => `${show(i.input)} should be database.table` })).optional(),
  compression: oneOf(["zstd", "gzip", "none"]).optional(),
  level: int(1, 19, "a compression level").optional(),
  parallel: int(1, 64).optional(),
  include_users: flag().optional(),
  /** client-side AES-256-GCM: a file holding 64 hex characters, base64 of 32 bytes, or a passphrase */
  encryption_key_file: text().optional(),
  /** a catalog encryption key (name or id), for policies */
  encryption_key: text().optional(),
  /** policies: full, incremental (since the newest backup) or differential (since the newest full); mariabackup */
  kind: oneOf(["full", "incremental", "differential"]).optional(),
  clone: cloneSection.optional(),
  snapshot: snapshotSection.optional(),
  streaming: streamingSection.optional(),
  binlog: binlogSection.optional(),
});

const connectionSection = z.strictObject({
  host: text().optional(),
  port: int(1, 65535, "a port").optional(),
  user: text().optional(),
  socket: text().optional(),
  password_file: text().optional(),
  tls: oneOf(["disabled", "preferred", "required", "verify-ca", "verify-identity"]).optional(),
  tls_ca: text().optional(),
});

const storageSection = z.strictObject({
  s3: z
    .strictObject({
      endpoint: text().optional(),
      region: text().optional(),
      path_style: flag().optional(),
    })
    .optional(),
});

const retentionSection = z.strictObject({
  keep_last: int(1, 10000).optional(),
  keep_days: int(1, 36500).optional(),
  gfs: z.strictObject({ daily: int(0, 3650).optional(), weekly: int(0, 520).optional(), monthly: int(0, 1200).optional(), yearly: int(0, 100).optional() }).optional(),
  pitr_days: int(0, 3650).optional(),
});

const policySection = z.strictObject({
  name: text(),
  /** host name (or id) in the catalog */
  host: text(),
  /** storage target name (or id) in the catalog */
  target: text(),
  schedule: text(),
  timezone: text().optional(),
  retention: retentionSection,
  verify_schedule: z.string({ error: expected("a cron expression") }).nullable().optional(),
  stale_after_minutes: int(5, 525600).nullable().optional(),
  /** restore-time objective: an incremental predicted to restore slower becomes a differential or a full */
  rto_seconds: int(1, 31536000).nullable().optional(),
  /** incident index: a DELETE/UPDATE of more rows than this in one transaction is an incident */
  incident_rows: int(1, 2000000000).optional(),
  enabled: flag().optional(),
});

export const configFileSchema = z.strictObject({
  connection: connectionSection.optional(),
  storage: storageSection.optional(),
  /** default --output of physical-backup and --target of stream-backup */
  output: text().optional(),
  backup: backupSection.optional(),
  policy: policySection.optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
export type BinlogTargetConfig = z.infer<typeof fileTarget> | z.infer<typeof s3Target>;

/** Where misplaced top-level sections belong (the seed's flattened example is easy to misread). */
export const MOVED_SECTIONS: Record<string, string> = { clone: "backup.clone", snapshot: "backup.snapshot", streaming: "backup.streaming", binlog: "backup.binlog", engine: "backup.engine" };
