import { connectServer, queryRows } from "../../mysql/connect";
import type { ServerAddress } from "../../mysql/connection-options";

/**
 * The clone engine's whole conversation with a server goes through this: statements in, rows
 * out, errors as thrown by mysql2 (with errno). Tests replace it with a scripted session, since no
 * MySQL 8 server can run here.
 */
export interface SqlSession {
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export type SessionFactory = (address: ServerAddress, role: "source" | "recipient" | "monitor") => Promise<SqlSession>;

/** The real thing: one mysql2 connection per session. */
export const mysqlSessions: SessionFactory = async (address) => {
  const c = await connectServer(address);
  return {
    rows: (sql, params) => queryRows(c, sql, params),
    close: () => c.end().catch(() => c.destroy()),
  };
};
