import path from "node:path";
import { DomainError } from "./errors";

/** Where the catalog, the generated secret key and local artifacts live. */
export function dataDir(): string {
  return path.resolve(/* turbopackIgnore: true */ process.env.DBBACKUP_DATA_DIR || "data");
}

export function catalogPath(): string {
  return path.join(dataDir(), "catalog.db");
}

export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new DomainError("INVALID", `${name}=${JSON.stringify(v)} is not a number: set it to a number (default ${fallback}) or unset it.`, { field: name });
  return n;
}
