import { db, parseJson } from "../db/client";

/**
 * How long restoring a backup takes on this host, predicted from this host's own measurements:
 * the restore verifications of its physical backups give milliseconds per stored byte of chain
 * restored (extract + prepare of every link + start), its point-in-time runs give the binlog replay
 * speed. prediction = bytes of the chain's links x restore ms/byte + binlog bytes x replay ms/byte.
 * With no measurement yet, there is no prediction (the pages say "no measurement yet").
 */
export type RestoreRates = {
  /** ms per stored byte of chain restored, from passed physical restore verifications (null: none yet) */
  restoreMsPerByte: number | null;
  restoreSamples: number;
  /** ms per binlog byte replayed, from succeeded point-in-time runs (null: none yet) */
  replayMsPerByte: number | null;
  replaySamples: number;
};

export type RestorePrediction = { ms: number | null; chainLinks: number; chainBytes: number; binlogBytes: number; basis: string };

const SAMPLES = 10;

/** Sum of stored bytes of a backup's chain (itself and every earlier link), and how many links. */
export async function chainBytes(backupId: string): Promise<{ links: number; bytes: number }> {
  let bytes = 0;
  let links = 0;
  const seen = new Set<string>();
  for (let id: string | null = backupId; id && !seen.has(id); ) {
    seen.add(id);
    const row: { sizeBytes: bigint; parentBackupId: string | null } | null = await db().backup.findUnique({ where: { id }, select: { sizeBytes: true, parentBackupId: true } });
    if (!row) break;
    bytes += Number(row.sizeBytes);
    links++;
    id = row.parentBackupId;
  }
  return { links, bytes };
}

/** The host's measured rates (newest samples). */
export async function measuredRates(hostId: string): Promise<RestoreRates> {
  const verifications = await db().verification.findMany({
    where: { result: "passed", kind: "restore", backup: { hostId, format: { in: ["xbstream", "tar"] } } },
    orderBy: { createdAt: "desc" },
    take: SAMPLES,
    select: { backupId: true, checks: true },
  });
  const perByte: number[] = [];
  for (const v of verifications) {
    const restore = parseJson<{ name: string; ms: number; ok: boolean }[]>(v.checks, []).find((c) => c.name === "restore and start" && c.ok);
    if (!restore) continue;
    const { bytes } = await chainBytes(v.backupId);
    if (bytes > 0) perByte.push(restore.ms / bytes);
  }
  // point-in-time restores from this host's backups (the run itself belongs to the host restored into)
  const ids = (await db().backup.findMany({ where: { hostId }, select: { id: true } })).map((b) => b.id);
  const runs = await db().run.findMany({ where: { kind: "pitr", state: "succeeded", backupId: { in: ids } }, orderBy: { finishedAt: "desc" }, take: SAMPLES, select: { result: true } });
  const replay: number[] = [];
  for (const r of runs) {
    const res = parseJson<{ replay?: { bytes?: number; ms?: number } }>(r.result, {});
    if (res.replay?.bytes && res.replay.ms) replay.push(res.replay.ms / res.replay.bytes);
  }
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null);
  return { restoreMsPerByte: median(perByte), restoreSamples: perByte.length, replayMsPerByte: median(replay), replaySamples: replay.length };
}

/** The predicted restore time of a backup (plus `binlogBytes` of replay for a point after it). */
export function predictRestore(rates: RestoreRates, chain: { links: number; bytes: number }, binlogBytes = 0): RestorePrediction {
  if (rates.restoreMsPerByte === null) return { ms: null, chainLinks: chain.links, chainBytes: chain.bytes, binlogBytes, basis: "no measurement yet: verify a physical backup of this host by restore" };
  const restoreMs = chain.bytes * rates.restoreMsPerByte;
  const replayKnown = binlogBytes === 0 || rates.replayMsPerByte !== null;
  const replayMs = binlogBytes && rates.replayMsPerByte !== null ? binlogBytes * rates.replayMsPerByte : 0;
  return {
    ms: replayKnown ? Math.round(restoreMs + replayMs) : null,
    chainLinks: chain.links,
    chainBytes: chain.bytes,
    binlogBytes,
    basis: replayKnown
      ? `${chain.links} link(s), ${chain.bytes} bytes at ${(rates.restoreMsPerByte * 2 ** 30 / 1000).toFixed(1)} s/GiB (median of ${rates.restoreSamples} restore verification(s) of this host)${binlogBytes ? ` + ${binlogBytes} binlog bytes at ${(rates.replayMsPerByte! * 2 ** 20).toFixed(0)} ms/MiB (${rates.replaySamples} replay(s))` : ""}`
      : "no replay measurement yet: run a point-in-time restore or drill of this host",
  };
}

/** Predicted restore time of each physical backup in a list (to its own point, no binlogs), by id. */
export async function predictionsFor(items: { id: string; hostId: string; format: string }[]): Promise<Record<string, RestorePrediction>> {
  const rates = new Map<string, RestoreRates>();
  const out: Record<string, RestorePrediction> = {};
  for (const b of items) {
    if (b.format !== "xbstream" && b.format !== "tar") continue;
    if (!rates.has(b.hostId)) rates.set(b.hostId, await measuredRates(b.hostId));
    out[b.id] = predictRestore(rates.get(b.hostId)!, await chainBytes(b.id));
  }
  return out;
}
