import { db } from "../db/client";

export type ChainLinkView = { id: string; kind: string; fromLsn: string | null; toLsn: string | null; finishedAt: Date; state: string; chainBroken: string | null };

const pick = { id: true, backupKind: true, fromLsn: true, toLsn: true, finishedAt: true, state: true, chainBroken: true, parentBackupId: true } as const;

/**
 * A backup's chain as the pages show it: its links from the full to it (a missing one is listed
 * with state "missing"), and the backups taken against it.
 */
export async function backupChainView(b: { id: string; parentBackupId: string | null }): Promise<{ links: ChainLinkView[]; dependents: { id: string; kind: string; state: string }[] }> {
  const links: ChainLinkView[] = [];
  const seen = new Set<string>();
  for (let id: string | null = b.id; id && !seen.has(id) && links.length < 1000; ) {
    seen.add(id);
    const row: { id: string; backupKind: string; fromLsn: string | null; toLsn: string | null; finishedAt: Date; state: string; chainBroken: string | null; parentBackupId: string | null } | null = await db().backup.findUnique({ where: { id }, select: pick });
    if (!row) {
      links.unshift({ id, kind: "missing", fromLsn: null, toLsn: null, finishedAt: new Date(0), state: "missing", chainBroken: "not in the catalog" });
      break;
    }
    links.unshift({ id: row.id, kind: row.backupKind, fromLsn: row.fromLsn, toLsn: row.toLsn, finishedAt: row.finishedAt, state: row.state, chainBroken: row.chainBroken });
    id = row.parentBackupId;
  }
  const dependents = await db().backup.findMany({ where: { parentBackupId: b.id }, select: { id: true, backupKind: true, state: true }, orderBy: { finishedAt: "asc" } });
  return { links, dependents: dependents.map((d) => ({ id: d.id, kind: d.backupKind, state: d.state })) };
}
