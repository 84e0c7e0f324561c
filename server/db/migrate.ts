import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { DomainError } from "../errors";

/**
 * Applies prisma/migrations/<name>/migration.sql files that have not been applied yet, in name
 * order, each in a transaction, recording them in _dbbackup_migrations. Runs at startup so the
 * embedded catalog needs no separate migrate step.
 */
export function migrateCatalog(file: string, migrationsDir = defaultMigrationsDir()): string[] {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.exec(`CREATE TABLE IF NOT EXISTS _dbbackup_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
    const done = new Set((db.prepare(`SELECT name FROM _dbbackup_migrations`).all() as { name: string }[]).map((r) => r.name));
    const pending = fs
      .readdirSync(/* turbopackIgnore: true */ migrationsDir)
      .filter((d) => fs.existsSync(path.join(migrationsDir, d, "migration.sql")) && !done.has(d))
      .sort();
    // Prisma's SQLite migrations rebuild tables (create new, copy, drop old, rename). With foreign keys
    // enforced, dropping the old table would fire ON DELETE actions on rows that point at it, and
    // PRAGMA foreign_keys is ignored inside a transaction: switch enforcement off around each
    // migration and check every reference before committing instead.
    db.pragma("foreign_keys = OFF");
    for (const name of pending) {
      const sql = fs.readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      db.transaction(() => {
        db.exec(sql);
        const broken = db.pragma("foreign_key_check") as unknown[];
        if (broken.length) throw new DomainError("INTERNAL", `Catalog migration ${name} would leave ${broken.length} broken reference(s), so it was not applied and the catalog is unchanged. Restore the data directory from its backup or report this with the catalog file.`);
        db.prepare(`INSERT INTO _dbbackup_migrations (name, applied_at) VALUES (?, ?)`).run(name, new Date().toISOString());
      })();
    }
    db.pragma("foreign_keys = ON");
    return pending;
  } finally {
    db.close();
  }
}

function defaultMigrationsDir(): string {
  return path.resolve(/* turbopackIgnore: true */ process.env.DBBACKUP_MIGRATIONS_DIR || path.join(process.cwd(), "prisma", "migrations"));
}
