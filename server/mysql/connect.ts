import mysql from "mysql2/promise";
import { DomainError } from "../errors";
import { mysqlOptions, type ServerAddress } from "./connection-options";
import { explainMysqlError } from "./explain-error";

export type MysqlConnection = mysql.Connection;

/**
 * Opens a connection to a managed server. TLS "preferred" tries TLS and falls back to plain text
 * when the server offers none. Failures become a DomainError whose message explains the cause.
 */
export async function connectServer(a: ServerAddress, extra: mysql.ConnectionOptions = {}): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({ ...mysqlOptions(a), ...extra });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if ((a.tlsMode ?? "preferred") === "preferred" && !a.socket && code === "HANDSHAKE_NO_SSL_SUPPORT") {
      try {
        return await mysql.createConnection({ ...mysqlOptions(a, false), ...extra });
      } catch (e2) {
        throw toDomainError(e2, a);
      }
    }
    throw toDomainError(e, a);
  }
}

function toDomainError(e: unknown, a: ServerAddress): DomainError {
  const { cause, message } = explainMysqlError(e, a);
  const retryable = ["refused", "timeout", "lost", "dns"].includes(cause);
  return new DomainError("UNAVAILABLE", message, { retryable, cause: e });
}

/** Runs fn with a fresh connection and always closes it. */
export async function withServer<T>(a: ServerAddress, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await connectServer(a);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}

/** Runs a query and returns rows as plain objects. */
export async function queryRows<T = Record<string, unknown>>(c: mysql.Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await c.query(sql, params);
  return rows as T[];
}
