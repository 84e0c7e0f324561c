import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/client";
import { catalogPath } from "../env";
import { migrateCatalog } from "./migrate";

export type Catalog = PrismaClient;
export type { Prisma } from "./generated/client";

const g = globalThis as unknown as { __dbbackupCatalog?: { file: string; client: PrismaClient } };

/**
 * The catalog client for this process (one per catalog file; survives Next.js dev reloads).
 * Migrations are applied on first use.
 */
export function db(): PrismaClient {
  const file = catalogPath();
  if (g.__dbbackupCatalog?.file === file) return g.__dbbackupCatalog.client;
  migrateCatalog(file);
  const client = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${file}` }) });
  g.__dbbackupCatalog = { file, client };
  return client;
}

/** Closes the catalog (tests, CLI exit). */
export async function closeDb(): Promise<void> {
  const c = g.__dbbackupCatalog;
  g.__dbbackupCatalog = undefined;
  if (c) await c.client.$disconnect();
}

/** Parses a JSON column, tolerating nulls. */
export function parseJson<T>(s: string | null | undefined, fallback: T): T {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}
