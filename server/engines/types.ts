import type { BackupSetWriter } from "../artifact/backup-set";
import type { Manifest } from "../artifact/manifest";
import type { ServerAddress } from "../mysql/connection-options";
import type { ServerFacts } from "../mysql/server-facts";

import type { WorkContext } from "../work-context";

export type { LogLevel, Progress, WorkContext } from "../work-context";

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

export type EngineLayout = "logical-set" | "tar" | "xbstream";

export interface BackupEngine {
  readonly name: string;
  readonly description: string;
  /** What it writes into a backup set: SQL and data per table, a tar of a datadir, or an xbstream. */
  readonly layout: EngineLayout;
  /** Whether this engine can back up a server with these facts from this machine, and why not. */
  availability(facts: ServerFacts): EngineAvailability;
  backup(ctx: WorkContext, req: BackupRequest): Promise<BackupOutcome>;
}

/** The engine chosen for a backup, and why (recorded in the manifest). */
export type EngineChoice = { engine: BackupEngine; reason: string };
