import { z } from "zod";
import { BACKUP_KINDS } from "../artifact/chain";
import { COMPRESSIONS } from "../artifact/compression";

export const dbName = z.string().trim().min(1).max(64);

/** source database -> target database; unmapped databases keep their names */
export const renameMap = z
  .record(z.string(), z.string().trim().min(1, "Enter a database name.").max(64).regex(/^[^/\\.`]+$/, "A database name cannot contain / \\ . or `"))
  .default({});

export const startBackupInput = z.object({
  hostId: z.string().min(1),
  targetId: z.string().min(1, "Choose a storage target."),
  engine: z.string().default("logical"),
  /** empty = all user databases */
  databases: z.array(dbName).default([]),
  excludeTables: z.array(z.string().regex(/^[^.]+\.[^.]+$/, "Use database.table")).default([]),
  compression: z.enum(COMPRESSIONS).default("zstd"),
  level: z.coerce.number().int().min(1).max(19).optional(),
  encryptionKeyId: z.string().nullish(),
  parallel: z.coerce.number().int().min(1, "At least 1 connection.").max(32, "At most 32 connections.").default(4),
  includeUsers: z.boolean().default(false),
  /** engine options: snapshot backend, clone donor, ... (the seed's YAML sections) */
  options: z.record(z.string(), z.unknown()).default({}),
  /** mariabackup chains: a delta since the newest backup (incremental) or the newest full (differential) */
  backupKind: z.enum(BACKUP_KINDS).default("full"),
  /** the base of an incremental, instead of the newest backup */
  incrementalFromBackupId: z.string().min(1).nullish(),
});
export type StartBackupInput = z.infer<typeof startBackupInput>;

export const startRestoreInput = z.object({
  backupId: z.string().min(1),
  targetHostId: z.string().min(1, "Choose the host to restore into."),
  rename: renameMap,
  databases: z.array(dbName).default([]),
  dropExisting: z.boolean().default(false),
  parallel: z.coerce.number().int().min(1).max(32).default(4),
  /** required when restoring over the source host's own databases: the host's name, typed */
  confirm: z.string().optional(),
  /** physical backups: the command that starts the target server after its datadir is replaced */
  startCommand: z.string().trim().max(500).optional(),
});
export type StartRestoreInput = z.infer<typeof startRestoreInput>;
