import { BACKUP_KINDS } from "../artifact/chain";
import { z } from "zod";
import { COMPRESSIONS } from "../artifact/compression";

export const retentionSchema = z
  .object({
    /** keep the N newest backups */
    keepLast: z.coerce.number().int().min(1).max(10000).optional(),
    /** keep backups younger than D days */
    keepDays: z.coerce.number().int().min(1).max(36500).optional(),
    /** grandfather-father-son: the newest backup of each of the last N days/weeks/months/years */
    gfs: z
      .object({
        daily: z.coerce.number().int().min(0).max(3650).default(0),
        weekly: z.coerce.number().int().min(0).max(520).default(0),
        monthly: z.coerce.number().int().min(0).max(1200).default(0),
        yearly: z.coerce.number().int().min(0).max(100).default(0),
      })
      .optional(),
    /** keep what point-in-time recovery to any moment of the last D days needs (base backup + binlogs) */
    pitrDays: z.coerce.number().int().min(0).max(3650).optional(),
  })
  .refine((r) => r.keepLast || r.keepDays || (r.gfs && r.gfs.daily + r.gfs.weekly + r.gfs.monthly + r.gfs.yearly > 0), {
    message: "Say what to keep: the last N backups, backups younger than D days, or a GFS scheme.",
  });
export type Retention = z.infer<typeof retentionSchema>;

const policyFields = {
  name: z.string().trim().min(1, "Name the policy.").max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._ -]*$/, "Use letters, digits, spaces, dot, dash and underscore."),
  hostId: z.string().min(1, "Choose a host."),
  targetId: z.string().min(1, "Choose a storage target."),
  engine: z.string().default("auto"),
  /** mariabackup chains: full, incremental (since the newest backup) or differential (since the newest full) */
  /** (absent: unchanged on update, "full" on create) */
  backupKind: z.enum(BACKUP_KINDS).optional(),
  /** restore-time objective in seconds: an incremental predicted to restore slower becomes a differential or full */
  rtoSeconds: z.coerce.number().int().min(1).max(31_536_000).nullish(),
  databases: z.array(z.string().trim().min(1).max(64)).default([]),
  excludeTables: z.array(z.string().regex(/^[^.]+\.[^.]+$/, "Use database.table")).default([]),
  schedule: z.string().trim().min(1, "Enter a cron expression, e.g. 0 3 * * *."),
  timezone: z.string().trim().default("UTC"),
  compression: z.enum(COMPRESSIONS).default("zstd"),
  compressionLevel: z.coerce.number().int().min(1).max(19).default(3),
  encryptionKeyId: z.string().nullish(),
  retention: retentionSchema,
  verifySchedule: z.string().trim().nullish().transform((s) => s || null),
  binlogArchiving: z.boolean().default(false),
  /** incident index: a DELETE/UPDATE of more rows than this (one table, one transaction) is an incident (catalog default 10,000) */
  incidentRows: z.coerce.number().int().min(1).max(2_000_000_000).optional(),
  staleAfterMinutes: z.coerce.number().int().min(5).max(525600).nullish(),
  enabled: z.boolean().default(true),
};

export const policyInput = z.object(policyFields);
export type PolicyInput = z.infer<typeof policyInput>;
export const updatePolicyInput = z.object({ id: z.string().min(1), ...policyFields });
