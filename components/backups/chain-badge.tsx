"use client";
import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { formatDuration } from "@/server/util/format";

type ChainFields = { id: string; backupKind: string; parentBackupId: string | null; chainRootId: string | null; fromLsn: string | null; toLsn: string | null; chainBroken: string | null };

const KIND_WORDS: Record<string, string> = { full: "full", incremental: "incremental", differential: "differential" };

/** LSN range "from → to" (a full covers everything up to its to_lsn). */
export function lsnRange(fromLsn: string | null, toLsn: string | null): string {
  if (!toLsn) return "";
  return !fromLsn || fromLsn === "0" ? `LSN ≤ ${toLsn}` : `LSN ${fromLsn} → ${toLsn}`;
}

/** Where a physical backup sits in its chain: kind, base, LSN range; red when a link of its chain is lost. */
export function ChainBadge({ b }: { b: ChainFields }) {
  if (!b.toLsn) return null;
  const delta = b.backupKind !== "full";
  return (
    <span className="mt-0.5 block text-xs text-slate-500" data-testid={`chain-${b.id}`}>
      <Badge tone={delta ? "blue" : "gray"} title={delta ? `taken against ${b.parentBackupId}; chain of full backup ${b.chainRootId}` : "the start of a chain"}>
        {KIND_WORDS[b.backupKind] ?? b.backupKind}
      </Badge>{" "}
      {delta && b.parentBackupId && (
        <>
          of{" "}
          <Link href={`/backups/${b.parentBackupId}`} className="font-mono hover:underline">
            {b.parentBackupId.slice(-8)}
          </Link>{" "}
        </>
      )}
      <span className="font-mono">{lsnRange(b.fromLsn, b.toLsn)}</span>
    </span>
  );
}

/** "not restorable" with the reason, for a backup whose chain lost a link. */
export function ChainBrokenBadge({ reason }: { reason: string | null }) {
  if (!reason) return null;
  return (
    <Badge tone="red" title={reason} className="ml-1">
      not restorable: chain broken
    </Badge>
  );
}

type LinkView = { id: string; kind: string; fromLsn: string | null; toLsn: string | null; finishedAt: string | Date; state: string; chainBroken: string | null };

/** The links a restore of this backup prepares, in order, and the backups taken against it. */
export function ChainLinks({ chain, currentId }: { chain: { links: LinkView[]; dependents: { id: string; kind: string; state: string }[] }; currentId: string }) {
  return (
    <div className="space-y-3 text-sm">
      <ol className="space-y-1" data-testid="chain-links">
        {chain.links.map((l, i) => {
          const gone = l.state !== "complete";
          return (
            <li key={l.id} className="flex flex-wrap items-center gap-2">
              <span className="w-6 text-right text-xs text-slate-400">{i + 1}.</span>
              <Badge tone={gone || l.chainBroken ? "red" : l.kind === "full" ? "gray" : "blue"}>{l.kind}</Badge>
              {l.id === currentId ? (
                <span className="font-mono text-xs font-semibold">{l.id}</span>
              ) : l.state === "missing" ? (
                <span className="font-mono text-xs">{l.id}</span>
              ) : (
                <Link href={`/backups/${l.id}`} className="font-mono text-xs text-brand-700 hover:underline">
                  {l.id}
                </Link>
              )}
              <span className="font-mono text-xs text-slate-500">{lsnRange(l.fromLsn, l.toLsn)}</span>
              {l.state === "complete" && <span className="text-xs text-slate-500">{new Date(l.finishedAt).toLocaleString()}</span>}
              {gone && <Badge tone="red">{l.state === "missing" ? "missing from the catalog" : "deleted"}</Badge>}
              {!gone && l.chainBroken && <ChainBrokenBadge reason={l.chainBroken} />}
            </li>
          );
        })}
      </ol>
      <p className="text-xs text-slate-500">
        A restore of this backup extracts these {chain.links.length} link{chain.links.length === 1 ? "" : "s"}, then prepares them in this order.
        {chain.dependents.length > 0 && ` ${chain.dependents.length} later backup${chain.dependents.length === 1 ? " is" : "s are"} taken against it: ${chain.dependents.map((d) => `${d.kind} ${d.id}`).join(", ")}.`}
      </p>
    </div>
  );
}

/** The predicted restore time of a physical backup, from this host's own measurements, or why there is none. */
export function PredictedRestore({ p }: { p: { ms: number | null; basis: string } | null | undefined }) {
  if (!p) return null;
  return (
    <span className="mt-0.5 block text-xs text-slate-500" title={p.basis} data-testid="predicted-restore">
      {p.ms === null ? "restore time: no measurement yet" : `restore ≈ ${formatDuration(p.ms)}`}
    </span>
  );
}
