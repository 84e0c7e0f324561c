import fs from "node:fs";
import type { ConnectionOptions } from "mysql2";

export const TLS_MODES = ["disabled", "preferred", "required", "verify-ca", "verify-identity"] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** How to reach a managed server (the password already decrypted). */
export type ServerAddress = {
  host?: string;
  port?: number;
  socket?: string | null;
  user: string;
  password?: string | null;
  tlsMode?: TlsMode;
  /** PEM text or a path to a PEM file. */
  tlsCa?: string | null;
  database?: string;
};

export const CONNECT_TIMEOUT_MS = 5000;

export function describeAddress(a: Pick<ServerAddress, "host" | "port" | "socket">): string {
  return a.socket ? `socket ${a.socket}` : `${a.host || "localhost"}:${a.port ?? 3306}`;
}

function caText(ca: string): string {
  return ca.includes("-----BEGIN") ? ca : fs.readFileSync(ca, "utf8");
}

/** mysql2 options for an address; `withTls` false forces plain text (the "preferred" fallback). */
export function mysqlOptions(a: ServerAddress, withTls = true): ConnectionOptions {
  const mode = a.tlsMode ?? "preferred";
  const base: ConnectionOptions = {
    user: a.user,
    password: a.password ?? undefined,
    database: a.database,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Values come back as the server sends them; engines decide how to read each type.
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    timezone: "Z",
    charset: "utf8mb4_general_ci",
    multipleStatements: false,
  };
  if (a.socket) base.socketPath = a.socket;
  else {
    base.host = a.host || "127.0.0.1";
    base.port = a.port ?? 3306;
  }
  if (!withTls || mode === "disabled" || a.socket) return base;
  if (mode === "preferred" || mode === "required") base.ssl = { rejectUnauthorized: false };
  else if (mode === "verify-ca") base.ssl = { ca: a.tlsCa ? caText(a.tlsCa) : undefined, rejectUnauthorized: true, verifyIdentity: false };
  else base.ssl = { ca: a.tlsCa ? caText(a.tlsCa) : undefined, rejectUnauthorized: true, verifyIdentity: true };
  return base;
}
