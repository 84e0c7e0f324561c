/**
 * dbbackup's engine layer as a TypeScript library: the same code the dashboard's runner and the
 * CLI use, without the catalog. A minimal program (see examples/library-backup.ts):
 *
 *   import { gatherInfo, selectBest, backupToSet, LocalStore, consoleContext } from "dbbackup/server/library";
 *
 *   const server = { host: "127.0.0.1", port: 3306, user: "backup", password: process.env.MYSQL_PWD };
 *   const info = await gatherInfo(server);                          // version, size, binlog, GTID, filesystem...
 *   const { engine, reason } = selectBest(info, { destination: "local" });
 *   const { manifest } = await backupToSet(consoleContext(), {
 *     server, facts: info, engine, reason,
 *     store: new LocalStore("/backups/db1"), compression: "zstd",
 *   });
 *
 * Engines:     `registry` (register/get/list engines; the built-in ones are registered on import),
 *              `selectBest(info, opts)` picks one and says why (the seed's selection rules).
 * Backups:     `backupToSet` runs an engine into a backup set (objects, then manifest.json last;
 *              everything is removed again on failure or abort). `singleFile` writes one archive
 *              (db.tar.gz) with `db.tar.gz.manifest.json` beside it.
 * Streaming:   `CloudStreamer` is a Writable to one S3 object by parallel multipart upload, with
 *              start() / complete() / abort().
 * Reading:     `BackupSetReader.open(store, prefix, key)` checks and reads a set's objects.
 * Work:        every long call takes a WorkContext: { signal, progress(p), log(level, msg) }.
 */
import { registerBuiltins } from "./composition-root";
import { getEngine, listEngines, registerEngine, type EngineChoice } from "./engines/registry";
import { chooseEngine, type ChooseEngineOptions } from "./backup-pipeline/backup-to-set";
import type { ServerFacts } from "./mysql/server-facts";
import type { WorkContext } from "./work-context";

export { gatherInfo } from "./backup-pipeline/gather-info";
export { backupToSet, chooseEngine, engineLayout, type BackupToSetOptions, type BackupToSetResult } from "./backup-pipeline/backup-to-set";
export { CloudStreamer, type CloudStreamerConfig } from "./backup-pipeline/cloud-streamer";
export { SidecarStore, sidecarManifestKey } from "./backup-pipeline/sidecar-store";
export { gatherEngineReport, formatEngineReport, type EngineReport } from "./engines/select/engine-report";
export { BackupSetReader } from "./artifact/backup-set-reader";
export { parseKey, generateKey, keyId } from "./artifact/encryption";
export { LocalStore } from "./storage/local-store";
export { S3Store, type S3Location } from "./storage/s3-store";
export type { ObjectStore } from "./storage/object-store";
export type { BackupEngine, BackupRequest, BackupOutcome, WorkContext, Progress, TableFilter } from "./engines/types";
export type { ServerAddress } from "./mysql/connection-options";
export type { ServerFacts } from "./mysql/server-facts";
export type { Manifest } from "./artifact/manifest";

// a program that imports the library gets every engine this build ships
registerBuiltins();

/** The engine registry (the seed's DefaultRegistry): logical, snapshot, mariabackup, xtrabackup, clone. */
export const registry = { register: registerEngine, get: getEngine, list: listEngines };

/** The best engine for a server and the reason, in words (the seed's selector.SelectBest). */
export function selectBest(info: ServerFacts, opts: ChooseEngineOptions = {}): EngineChoice {
  return chooseEngine(info, { engine: "auto", ...opts });
}

/** A WorkContext that logs to stderr and aborts on the given signal (or never). */
export function consoleContext(signal: AbortSignal = new AbortController().signal): WorkContext {
  return {
    signal,
    progress: () => undefined,
    log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
  };
}
