// What long work (backup, restore, replay, verification) gets from whoever runs it: the runner, the
// CLI or a library program. A leaf module: the runner, the engines, restore and PITR all import it,
// and it imports nothing.

/** Progress the work reports; the runner persists it about once a second. */
export type Progress = {
  phase: string;
  bytesDone?: number;
  bytesTotal?: number;
  rowsDone?: number;
  rowsTotal?: number;
  tablesDone?: number;
  tablesTotal?: number;
  /** free-form detail shown under the bar, e.g. "shop.orders chunk 12/40" */
  detail?: string;
};

export type LogLevel = "info" | "warn" | "error";

/** Cancellation, progress and log: what every engine and restore step gets. */
export type WorkContext = {
  signal: AbortSignal;
  progress(p: Partial<Progress>): void;
  log(level: LogLevel, message: string): void;
};
