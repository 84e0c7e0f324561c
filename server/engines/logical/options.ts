import { DomainError } from "../../errors";
import type { BackupRequest } from "../types";
import type { LockMechanism } from "./snapshot";

/** Options of the logical engine (BackupRequest.options, plus req.parallel/includeUsers). */
export type LogicalOptions = {
  parallel?: number;
  /** rows per chunk (default: about 64 MB of the table's average row length, 1 000 to 1 000 000) */
  chunkRows?: number;
  includeUsers?: boolean;
  /** how long the snapshot lock may wait before the backup fails (retryable), default 10 s */
  lockWaitTimeoutSec?: number;
  /** auto (MariaDB: BACKUP STAGE, MySQL: FTWRL), or force one */
  lockMechanism?: LockMechanism;
  /** size of each multi-row INSERT, default 1 MiB */
  statementBytes?: number;
};

export const DEFAULT_STATEMENT_BYTES = 1 << 20;
export const DEFAULT_LOCK_WAIT_SEC = 10;
export const CHUNK_TARGET_BYTES = 64 << 20;

export function logicalOptions(req: Pick<BackupRequest, "parallel" | "includeUsers" | "options">): Required<Omit<LogicalOptions, "chunkRows">> & { chunkRows?: number } {
  const o = (req.options ?? {}) as LogicalOptions;
  const parallel = Math.floor(Number(o.parallel ?? req.parallel ?? 4));
  if (!Number.isFinite(parallel) || parallel < 1 || parallel > 64) throw new DomainError("INVALID", `parallel must be between 1 and 64 (got ${o.parallel ?? req.parallel}).`, { field: "parallel" });
  if (o.chunkRows !== undefined && (!Number.isInteger(o.chunkRows) || o.chunkRows < 1)) throw new DomainError("INVALID", "chunkRows must be a positive integer.", { field: "chunkRows" });
  const mech = o.lockMechanism ?? "auto";
  if (!["auto", "backup-stage", "ftwrl"].includes(mech)) throw new DomainError("INVALID", `lockMechanism must be auto, backup-stage or ftwrl (got ${mech}).`, { field: "lockMechanism" });
  return {
    parallel,
    chunkRows: o.chunkRows,
    includeUsers: o.includeUsers ?? req.includeUsers ?? false,
    lockWaitTimeoutSec: o.lockWaitTimeoutSec ?? DEFAULT_LOCK_WAIT_SEC,
    lockMechanism: mech,
    statementBytes: o.statementBytes ?? DEFAULT_STATEMENT_BYTES,
  };
}

/** Rows per chunk for a table: explicit, or about CHUNK_TARGET_BYTES of its rows. */
export function chunkRowsFor(explicit: number | undefined, avgRowLength: number): number {
  if (explicit) return explicit;
  const avg = avgRowLength > 0 ? avgRowLength : 200;
  return Math.max(1000, Math.min(1_000_000, Math.round(CHUNK_TARGET_BYTES / avg)));
}
