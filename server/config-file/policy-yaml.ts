import { stringify } from "yaml";
import { DomainError } from "../errors";
import { cronProblem } from "../policies/cron";
import { policyInput, type PolicyInput } from "../policies/schemas";
import { formatConfigIssue, keyPath, parseConfigText, type ConfigIssue } from "./load-config";
import type { ConfigFile } from "./schema";

/**
 * A backup policy in the seed's YAML structure, for import and export in the dashboard:
 *
 *   policy:   name, host, target, schedule, timezone, retention{keep_last, keep_days, gfs, pitr_days},
 *             verify_schedule, stale_after_minutes, rto_seconds, incident_rows, enabled
 *   backup:   engine, kind, databases, exclude_tables, compression, level, encryption_key,
 *             binlog.enabled (the policy's binlog archiving)
 *
 * Hosts, storage targets and encryption keys are written by name when names are given, so a file
 * exported from one catalog imports into another that has the same names.
 */

/** Catalog names for the ids a policy refers to (export), or name -> id maps (import). */
export type PolicyRefNames = { host?: string; target?: string; encryptionKey?: string | null };
export type PolicyRefMaps = { hosts?: Record<string, string>; targets?: Record<string, string>; encryptionKeys?: Record<string, string> };

/** Where each policy field lives in the YAML. */
const FIELD_PATHS: Record<string, string> = {
  name: "policy.name",
  hostId: "policy.host",
  targetId: "policy.target",
  engine: "backup.engine",
  backupKind: "backup.kind",
  rtoSeconds: "policy.rto_seconds",
  incidentRows: "policy.incident_rows",
  databases: "backup.databases",
  excludeTables: "backup.exclude_tables",
  schedule: "policy.schedule",
  timezone: "policy.timezone",
  compression: "backup.compression",
  compressionLevel: "backup.level",
  encryptionKeyId: "backup.encryption_key",
  retention: "policy.retention",
  verifySchedule: "policy.verify_schedule",
  binlogArchiving: "backup.binlog.enabled",
  staleAfterMinutes: "policy.stale_after_minutes",
  enabled: "policy.enabled",
};
const RETENTION_PATHS: Record<string, string> = { keepLast: "keep_last", keepDays: "keep_days", gfs: "gfs", pitrDays: "pitr_days" };

function yamlPathOf(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  const base = FIELD_PATHS[head ?? ""] ?? head ?? "";
  if (head === "retention" && rest.length) return `${base}.${RETENTION_PATHS[rest[0]!] ?? rest[0]}${rest.length > 1 ? "." + rest.slice(1).join(".") : ""}`;
  return rest.length ? `${base}${keyPath(rest.map((r) => (/^\d+$/.test(r) ? Number(r) : r)))}` : base;
}

/** The policy as YAML text in the seed's structure. */
export function policyToYaml(p: PolicyInput, names: PolicyRefNames = {}): string {
  const r = p.retention;
  const retention: Record<string, unknown> = {};
  if (r.keepLast !== undefined) retention.keep_last = r.keepLast;
  if (r.keepDays !== undefined) retention.keep_days = r.keepDays;
  if (r.gfs) retention.gfs = { daily: r.gfs.daily, weekly: r.gfs.weekly, monthly: r.gfs.monthly, yearly: r.gfs.yearly };
  if (r.pitrDays !== undefined) retention.pitr_days = r.pitrDays;
  const doc = {
    policy: {
      name: p.name,
      host: names.host ?? p.hostId,
      target: names.target ?? p.targetId,
      schedule: p.schedule,
      timezone: p.timezone,
      retention,
      ...(p.verifySchedule ? { verify_schedule: p.verifySchedule } : {}),
      ...(p.staleAfterMinutes ? { stale_after_minutes: p.staleAfterMinutes } : {}),
      ...(p.rtoSeconds ? { rto_seconds: p.rtoSeconds } : {}),
      ...(p.incidentRows !== undefined ? { incident_rows: p.incidentRows } : {}),
      enabled: p.enabled,
    },
    backup: {
      engine: p.engine,
      ...(p.backupKind ? { kind: p.backupKind } : {}),
      databases: p.databases,
      exclude_tables: p.excludeTables,
      compression: p.compression,
      level: p.compressionLevel,
      ...(p.encryptionKeyId ? { encryption_key: names.encryptionKey ?? p.encryptionKeyId } : {}),
      binlog: { enabled: p.binlogArchiving },
    },
  };
  return `# dbbackup policy ${JSON.stringify(p.name)} (import it on the Policies page, or edit and re-import)\n${stringify(doc, { lineWidth: 0 })}`;
}

function resolve(map: Record<string, string> | undefined, value: string, path: string, what: string, issues: ConfigIssue[]): string {
  if (!map) return value;
  if (map[value]) return map[value]!;
  if (Object.values(map).includes(value)) return value;
  const names = Object.keys(map);
  issues.push({ path, message: `no ${what} named ${JSON.stringify(value)} (${names.length ? `known: ${names.slice(0, 10).join(", ")}` : `create the ${what} first`})`, line: null });
  return value;
}

/**
 * Reads a policy from YAML text (the structure policyToYaml writes). Names of hosts, targets and
 * keys are turned into ids with the maps given (a value that already is an id passes). Every
 * problem is reported with its key path, e.g. `policy.yaml: policy.retention.keep_last: 0 should be ...`.
 */
export function yamlToPolicyInput(text: string, opts: PolicyRefMaps & { file?: string } = {}): PolicyInput {
  const file = opts.file ?? "policy.yaml";
  const cfg: ConfigFile = parseConfigText(text, file);
  const pol = cfg.policy;
  if (!pol) throw new DomainError("INVALID", `${file}: policy: is required (name, host, target, schedule, retention) to import a policy`, { field: "policy" });
  const b = cfg.backup ?? {};
  const issues: ConfigIssue[] = [];
  const ret = pol.retention;
  const candidate = {
    name: pol.name,
    hostId: resolve(opts.hosts, pol.host, "policy.host", "host", issues),
    targetId: resolve(opts.targets, pol.target, "policy.target", "storage target", issues),
    engine: b.engine ?? "auto",
    ...(b.kind ? { backupKind: b.kind } : {}),
    ...(pol.rto_seconds !== undefined ? { rtoSeconds: pol.rto_seconds } : {}),
    ...(pol.incident_rows !== undefined ? { incidentRows: pol.incident_rows } : {}),
    databases: b.databases ?? [],
    excludeTables: b.exclude_tables ?? [],
    schedule: pol.schedule,
    timezone: pol.timezone ?? "UTC",
    compression: b.compression ?? "zstd",
    compressionLevel: b.level ?? 3,
    encryptionKeyId: b.encryption_key ? resolve(opts.encryptionKeys, b.encryption_key, "backup.encryption_key", "encryption key", issues) : null,
    retention: {
      ...(ret.keep_last !== undefined ? { keepLast: ret.keep_last } : {}),
      ...(ret.keep_days !== undefined ? { keepDays: ret.keep_days } : {}),
      ...(ret.gfs ? { gfs: { daily: ret.gfs.daily ?? 0, weekly: ret.gfs.weekly ?? 0, monthly: ret.gfs.monthly ?? 0, yearly: ret.gfs.yearly ?? 0 } } : {}),
      ...(ret.pitr_days !== undefined ? { pitrDays: ret.pitr_days } : {}),
    },
    verifySchedule: pol.verify_schedule ?? null,
    binlogArchiving: b.binlog?.enabled ?? false,
    staleAfterMinutes: pol.stale_after_minutes ?? null,
    enabled: pol.enabled ?? true,
  };
  const r = policyInput.safeParse(candidate);
  if (!r.success) for (const i of r.error.issues) issues.push({ path: yamlPathOf(i.path), message: i.message, line: null });
  const cron = cronProblem(candidate.schedule, candidate.timezone);
  if (cron) issues.push({ path: cron.field === "schedule" ? "policy.schedule" : "policy.timezone", message: cron.message, line: null });
  if (candidate.verifySchedule) {
    const v = cronProblem(candidate.verifySchedule, candidate.timezone);
    if (v && v.field === "schedule") issues.push({ path: "policy.verify_schedule", message: v.message, line: null });
  }
  if (issues.length) throw new DomainError("INVALID", issues.map((i) => formatConfigIssue(file, i)).join("; "), { field: issues[0]!.path });
  return r.data!;
}
