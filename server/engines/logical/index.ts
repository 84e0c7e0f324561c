// The logical engine: dump side. The load side is server/restore/logical.
export { logicalEngine } from "./engine";
export { dumpToSqlFile, type SqlFileOptions } from "./dump-sql-file";
export { dumpToBackupSet } from "./dump-set";
export { fingerprintTable } from "./fingerprint";
export type { LogicalOptions } from "./options";
