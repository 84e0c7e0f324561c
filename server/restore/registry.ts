import { DomainError } from "../errors";
import type { BackupSetReader } from "../artifact/backup-set-reader";
import type { ServerAddress } from "../mysql/connection-options";
import type { WorkContext } from "../work-context";

export type RestoreRequest = {
  reader: BackupSetReader;
  target: ServerAddress;
  /** source database -> target database */
  rename: Record<string, string>;
  /** restore only these source databases (default: all in the backup) */
  databases?: string[];
  parallel: number;
  dropExisting: boolean;
  /**
   * Whether the restore's writes go to the target's binlog (default: yes). A point-in-time restore
   * turns it off where it may, so the base and the replay reach the target's replicas alike.
   */
  writeBinlog?: boolean;
  /** options of the restore method, e.g. a physical restore's datadir */
  options?: Record<string, unknown>;
};

export type RestoreOutcome = { databases: string[]; tables: number; rows: number; bytes: number; ms: number; details?: Record<string, unknown> };

/** How to restore one backup layout (logical-set, tar, mbstream, ...). */
export type Restorer = (ctx: WorkContext, req: RestoreRequest) => Promise<RestoreOutcome>;

const restorers = new Map<string, Restorer>();

export function registerRestorer(layout: string, r: Restorer) {
  restorers.set(layout, r);
}

export function getRestorer(layout: string): Restorer {
  const r = restorers.get(layout);
  if (!r) throw new DomainError("PRECONDITION", `Backups with layout ${layout} cannot be restored by this build (known: ${[...restorers.keys()].join(", ") || "none"}).`);
  return r;
}
