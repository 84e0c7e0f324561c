// The benchmark's MariaDB instances: the source (datadir on Btrfs when possible) and a fresh,
// empty server for every restore, all with the same settings.
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { RowDataPacket } from "mysql2";
import { startSandbox, type Sandbox } from "../server/mysql/sandbox";
import { onCleanup } from "./cleanup";
import { processCpuSeconds } from "./proc";

/** Same on every server, so restores are compared on equal terms. */
export const SERVER_ARGS = ["--innodb-buffer-pool-size=1G", "--innodb-log-file-size=256M"];

export type Server = Sandbox & { name: string; close(): Promise<void> };

/**
 * Starts a server in `dir` (fresh datadir from the template, or `datadir` when given), stopped and
 * removed by the cleanup unless closed before.
 */
export async function startServer(name: string, dir: string, opts: { datadir?: string; binlog?: boolean; keepDir?: boolean } = {}): Promise<Server> {
  await fsp.mkdir(dir, { recursive: true });
  const sb = await startSandbox({ dir, datadir: opts.datadir, binlog: opts.binlog ?? true, args: SERVER_ARGS, removeOnStop: false, startTimeoutMs: 300_000 });
  const remove = async () => {
    await sb.stop();
    if (!opts.keepDir) await fsp.rm(dir, { recursive: true, force: true });
  };
  const unregister = onCleanup(`stop server ${name} (port ${sb.port})`, remove);
  return Object.assign(sb, {
    name,
    async close() {
      unregister();
      await remove();
    },
  }) as Server;
}

export function conn(sb: Sandbox): string[] {
  return ["--host", "127.0.0.1", "--port", String(sb.port), "--user", "root"];
}

/** CHECKSUM TABLE ... EXTENDED of every base table of `db`. */
export async function checksums(sb: Sandbox, db: string): Promise<Record<string, string>> {
  const c = await sb.connect();
  try {
    const [tables] = await c.query<RowDataPacket[]>("SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", [db]);
    const out: Record<string, string> = {};
    for (const { t } of tables) {
      const [[r]] = await c.query<RowDataPacket[]>(`CHECKSUM TABLE \`${db}\`.\`${t}\` EXTENDED`);
      out[String(t)] = String(r!.Checksum);
    }
    return out;
  } finally {
    await c.end();
  }
}

/** Names of the tables whose checksums differ (or exist on one side only); empty when equal. */
export function checksumDiff(a: Record<string, string>, b: Record<string, string>): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((n) => a[n] !== b[n]).sort();
}

/** CPU seconds (user + system, all threads) the server has used since it started; null if unknown. */
export function serverCpuSeconds(sb: Sandbox): number | null {
  try {
    return processCpuSeconds(Number(fs.readFileSync(path.join(sb.dir, "mysqld.pid"), "utf8").trim()));
  } catch {
    return null;
  }
}

/** Runs fn and returns what it returned plus the server CPU seconds it cost. */
export async function withServerCpu<T>(sb: Sandbox, fn: () => Promise<T>): Promise<{ result: T; serverCpuSeconds: number | null }> {
  const a = serverCpuSeconds(sb);
  const result = await fn();
  const b = serverCpuSeconds(sb);
  return { result, serverCpuSeconds: a === null || b === null ? null : Math.round((b - a) * 100) / 100 };
}
