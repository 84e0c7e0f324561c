import { z } from "zod";

/**
 * Where a physical backup sits in a chain (mariabackup full -> incremental/differential ...).
 * A full has no parent; an incremental holds the InnoDB pages changed since its parent's to_lsn,
 * a differential those changed since its chain's full. Restoring one needs every link from the
 * full to it, in order, each with `fromLsn` equal to its parent's `toLsn`.
 */
export const BACKUP_KINDS = ["full", "incremental", "differential"] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

export const chainLinkSchema = z.object({
  kind: z.enum(BACKUP_KINDS),
  /** InnoDB LSN range of the backup (xtrabackup_checkpoints from_lsn / to_lsn), decimal strings */
  fromLsn: z.string().regex(/^\d+$/),
  toLsn: z.string().regex(/^\d+$/),
  /** the backup this one is a delta of: its id, where it was (as given when this one was taken), its manifest's sha256 */
  parent: z.object({ id: z.string(), location: z.string(), manifestSha256: z.string().regex(/^[0-9a-f]{64}$/), toLsn: z.string().regex(/^\d+$/) }).nullable(),
  /** the chain's full backup */
  rootId: z.string(),
  /** links from the full: 0 for the full, parent's depth + 1 otherwise */
  depth: z.number().int().nonnegative(),
});
export type ChainLink = z.infer<typeof chainLinkSchema>;

/** What a new delta backup is based on: resolved before the engine runs. */
export type ChainBase = {
  kind: Exclude<BackupKind, "full">;
  parent: { id: string; location: string; manifestSha256: string; toLsn: string; rootId: string; depth: number; serverId?: number };
};
