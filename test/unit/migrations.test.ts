import Database from "better-sqlite3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { migrateCatalog } from "../../server/db/migrate";

describe("catalog migrations", () => {
  it("apply in order, once, and keep rows that reference rebuilt tables", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-mig-test-"));
    const file = path.join(dir, "c.db");
    const all = fs.readdirSync("prisma/migrations").filter((d) => fs.existsSync(path.join("prisma/migrations", d, "migration.sql"))).sort();
    // apply only the first migration, put rows in, then apply the rest
    const first = path.join(dir, "m");
    fs.mkdirSync(path.join(first, all[0]!), { recursive: true });
    fs.copyFileSync(path.join("prisma/migrations", all[0]!, "migration.sql"), path.join(first, all[0]!, "migration.sql"));
    expect(migrateCatalog(file, first)).toEqual([all[0]]);
    const db = new Database(file);
    db.exec(`INSERT INTO Host (id, name, user, updatedAt) VALUES ('h1', 'h', 'root', 0);
             INSERT INTO StorageTarget (id, name, kind, updatedAt) VALUES ('s1', 's', 'local', 0);
             INSERT INTO Policy (id, name, hostId, targetId, updatedAt) VALUES ('p1', 'p', 'h1', 's1', 0);
             INSERT INTO Run (id, kind, hostId, policyId) VALUES ('r1', 'backup', 'h1', 'p1');`);
    db.close();
    expect(migrateCatalog(file)).toEqual(all.slice(1));
    expect(migrateCatalog(file)).toEqual([]);
    const after = new Database(file);
    expect((after.prepare("SELECT policyId FROM Run WHERE id = 'r1'").get() as { policyId: string }).policyId).toBe("p1");
    expect(after.pragma("foreign_keys", { simple: true })).toBe(1);
    after.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
