import { db } from "../../server/db/client";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until fn returns something truthy (or throws after ms). */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms = 60_000, what = "condition"): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Waits until a run reaches a final state and returns it. */
export function waitForRun(runId: string, ms = 120_000) {
  return waitFor(
    async () => {
      const r = await db().run.findUnique({ where: { id: runId } });
      return r && ["succeeded", "failed", "cancelled"].includes(r.state) ? r : null;
    },
    ms,
    `run ${runId} to finish`,
  );
}

export async function runLog(runId: string): Promise<string> {
  return (await db().runLog.findMany({ where: { runId }, orderBy: { id: "asc" } })).map((l) => `${l.level}: ${l.message}`).join("\n");
}

/** CHECKSUM TABLE EXTENDED and row count of every base table in a database. */
export async function checksums(sql: <T>(q: string, p?: unknown[]) => Promise<T[]>, database: string): Promise<Record<string, string>> {
  const tables = await sql<{ t: string }>(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`, [database]);
  const out: Record<string, string> = {};
  for (const { t } of tables) {
    const q = "`" + database.replace(/`/g, "``") + "`.`" + t.replace(/`/g, "``") + "`";
    const [c] = await sql<{ Checksum: string | number | null }>(`CHECKSUM TABLE ${q} EXTENDED`);
    const [n] = await sql<{ n: string | number }>(`SELECT COUNT(*) AS n FROM ${q}`);
    out[t] = `${c!.Checksum}/${n!.n}`;
  }
  return out;
}
