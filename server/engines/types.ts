import type { BackupSetWriter } from "../artifact/backup-set";
import type { Manifest } from "../artifact/manifest";
import type { ServerAddress } from "../mysql/connection-options";
import type { ServerFacts } from "../mysql/server-facts";

/** Progress an engine reports; the runner persists it about once a second. */
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

/** What every engine and restore step gets from whoever runs it (the runner or the CLI). */
export type WorkContext = {
  signal: AbortSignal;
  progress(p: Partial<Progress>): void;
  log(level: LogLevel, message: string): void;
};

export type TableFilter = {
  /** databases to include; empty = all user databases */
  databases?: string[];
  excludeDatabases?: string[];
  /** "db.table" patterns (exact names) to include / exclude */
  tables?: string[];
  excludeTables?: string[];
};

export type BackupRequest = {
  server: ServerAddress;
  facts: ServerFacts;
  hostName: string;
  backupId: string;
  /** where objects go; the engine writes objects, the caller commits the manifest */
  set: BackupSetWriter;
  filter: TableFilter;
  /** parallel connections / workers */
  parallel: number;
  includeUsers?: boolean;
  /** engine-specific options (snapshot backend, clone donor, ...) */
  options?: Record<string, unknown>;
};

/** What an engine returns; the caller adds objects/totals and commits the manifest. */
export type BackupOutcome = Omit<Manifest, "objects" | "totals" | "format" | "id" | "host" | "compression" | "encryption"> & {
  totals?: { rows?: number; tables?: number };
};

export type EngineAvailability = { available: boolean; reasons: string[] };

export interface BackupEngine {
  readonly name: string;
  readonly description: string;
  /** Whether this engine can back up a server with these facts from this machine, and why not. */
  availability(facts: ServerFacts): EngineAvailability;
  backup(ctx: WorkContext, req: BackupRequest): Promise<BackupOutcome>;
}
