"use client";

type ChainBackup = { id: string; consistentAt: string | Date; chain?: { kind: string; parentId: string | null; fromLsn: string | null; toLsn: string | null } };
type Broken = { id: string; kind: string; consistentAt: string | Date; reason: string };

/**
 * Chains on the PITR timeline: an arc from each incremental or differential to its base (labelled
 * incr / diff, with its LSN range in the tooltip), and a red cross for each backup that cannot be
 * restored because a link of its chain is lost (it is no restore point).
 */
export function ChainMarks({ backups, notRestorable, x, inView }: { backups: ChainBackup[]; notRestorable: Broken[]; x: (t: string | Date) => number; inView: (px: number) => boolean }) {
  const byId = new Map(backups.map((b) => [b.id, b]));
  return (
    <g data-testid="timeline-chains">
      {backups.map((b) => {
        const parent = b.chain?.parentId ? byId.get(b.chain.parentId) : undefined;
        if (!b.chain || !parent) return null;
        const bx = x(b.consistentAt);
        const px = x(parent.consistentAt);
        if (!inView(bx) && !inView(px)) return null;
        const mid = (bx + px) / 2;
        const label = b.chain.kind === "differential" ? "diff" : "incr";
        return (
          <g key={`chain-${b.id}`} data-testid="timeline-chain-link">
            <path d={`M ${px} 16 Q ${mid} ${b.chain.kind === "differential" ? -6 : 2} ${bx} 16`} fill="none" className={b.chain.kind === "differential" ? "stroke-violet-500" : "stroke-blue-500"} strokeWidth={1.5} />
            <text x={mid} y={9} textAnchor="middle" className="fill-slate-500 text-[9px]">
              {label}
              <title>{`${b.chain.kind} ${b.id} of ${parent.id}: LSN ${b.chain.fromLsn} → ${b.chain.toLsn}`}</title>
            </text>
          </g>
        );
      })}
      {notRestorable.map((b) => {
        const bx = x(b.consistentAt);
        if (!inView(bx)) return null;
        return (
          <g key={`broken-${b.id}`} data-testid="timeline-not-restorable">
            <path d={`M ${bx - 7} 21 l 14 14 M ${bx + 7} 21 l -14 14`} className="stroke-red-600" strokeWidth={3} />
            <title>{`${b.kind} backup ${b.id} cannot be restored: ${b.reason}`}</title>
          </g>
        );
      })}
    </g>
  );
}
