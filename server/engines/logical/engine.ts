import type { ServerFacts } from "../../mysql/server-facts";
import type { BackupEngine } from "../types";
import { dumpToBackupSet } from "./dump-set";

/**
 * The logical engine (the seed's "mysqldump" engine), native over mysql2: a consistent snapshot
 * shared by parallel connections, tables chunked by key, a backup set restored in parallel by
 * restoreLogicalSet, or one SQL file the stock client replays (dumpToSqlFile).
 */
export const logicalEngine: BackupEngine = {
  name: "logical",
  layout: "logical-set",
  description: "Logical dump over parallel connections from one consistent snapshot (tables chunked by key); restores in parallel or with the stock client.",
  availability(facts: ServerFacts) {
    const reasons: string[] = [];
    const has = (p: string) => facts.privileges.includes(p) || facts.privileges.includes("SUPER");
    if (!has("RELOAD")) reasons.push("RELOAD is missing: parallel dumps need it for the millisecond snapshot lock (a single connection on MariaDB works without it).");
    if (!facts.binlog.enabled) reasons.push("Binary logging is off: the backup will have no binlog coordinates for point-in-time recovery.");
    return { available: true, reasons };
  },
  backup: (ctx, req) => dumpToBackupSet(ctx, req),
};
