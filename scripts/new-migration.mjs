#!/usr/bin/env node
// Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that takes the catalog
// from the previous migration's schema to prisma/schema.prisma, and keeps a copy of the schema next
// to it (schema.prisma) for the next diff. `prisma migrate dev` and `migrate diff --from-url` are
// not usable with the driver adapter this project runs Prisma with; a datamodel-to-datamodel diff is.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration <name_in_snake_case>");
  process.exit(2);
}
const dir = "prisma/migrations";
fs.mkdirSync(dir, { recursive: true });
const existing = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, "migration.sql"))).sort();
const last = existing.at(-1);
if (last && !fs.existsSync(path.join(dir, last, "schema.prisma"))) {
  console.error(`${dir}/${last}/schema.prisma is missing: it must hold the schema that migration produced.`);
  process.exit(1);
}
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-mig-"));
const env = {
  ...process.env,
  DBBACKUP_DATA_DIR: scratch, // prisma.config.ts opens a catalog there; keep ./data out of it
  PRISMA_QUERY_ENGINE_LIBRARY: path.resolve("package.json"),
  PRISMA_SCHEMA_ENGINE_BINARY: path.resolve("package.json"),
};
const from = last ? ["--from-schema-datamodel", path.join(dir, last, "schema.prisma")] : ["--from-empty"];
const sql = execFileSync(path.resolve("node_modules/.bin/prisma"), ["migrate", "diff", ...from, "--to-schema-datamodel", "prisma/schema.prisma", "--script"], { env, encoding: "utf8" });
fs.rmSync(scratch, { recursive: true, force: true });
if (!/CREATE|ALTER|DROP/i.test(sql)) {
  console.log("schema unchanged: no migration written");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/[-:TZ.]/g, "").slice(0, 14);
const out = path.join(dir, `${stamp}_${name}`);
fs.mkdirSync(out);
fs.writeFileSync(path.join(out, "migration.sql"), sql);
fs.copyFileSync("prisma/schema.prisma", path.join(out, "schema.prisma"));
console.log(`wrote ${out}/migration.sql`);
