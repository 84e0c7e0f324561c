import crypto from "node:crypto";

// Agent tokens: 32 random bytes, shown once. The catalog keeps only their sha256 (a high-entropy
// secret needs no slow hash) and a short hint to tell them apart.

const PREFIX = "dbba_";

export function newAgentToken(): string {
  return PREFIX + crypto.randomBytes(32).toString("base64url");
}

export function hashAgentToken(token: string): string {
  return crypto.createHash("sha256").update(token, "utf8").digest("hex");
}

export function tokenHint(token: string): string {
  return token.slice(0, PREFIX.length + 6) + "…";
}

/** The token from an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}
