import crypto from "node:crypto";

/** A sortable, URL-safe id: 8 hex chars of seconds since epoch + 12 random hex chars, prefixed. */
export function newId(prefix = ""): string {
  const t = Math.floor(Date.now() / 1000).toString(16).padStart(8, "0");
  return `${prefix}${t}${crypto.randomBytes(6).toString("hex")}`;
}
