"use client";
import Link from "next/link";
import { useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import type { RouterOutputs } from "@/lib/trpc";
import { formatBytes, formatDuration, formatRelative } from "@/server/util/format";
import { ChainBadge, ChainBrokenBadge, PredictedRestore } from "./chain-badge";
import { RestoreDialog } from "./restore-dialog";

type Backup = RouterOutputs["backups"]["list"]["items"][number];

export function VerifyBadge({ state }: { state: string }) {
  if (state === "verified") return <Badge tone="green">verified</Badge>;
  if (state === "failed") return <Badge tone="red">verification failed</Badge>;
  return <Badge tone="gray">not verified</Badge>;
}

export function Coordinates({ file, pos, gtid }: { file: string | null; pos: number | null; gtid: string | null }) {
  if (!file) return <span className="text-slate-400">—</span>;
  return (
    <span className="font-mono text-xs" title={gtid ?? undefined}>
      {file}:{pos}
      {gtid && <span className="block text-slate-400">{gtid.length > 28 ? gtid.slice(0, 28) + "…" : gtid}</span>}
    </span>
  );
}

export function BackupsTable({ backups, showHost = true, empty }: { backups: Backup[]; showHost?: boolean; empty?: React.ReactNode }) {
  const { can } = useUser();
  const [restoring, setRestoring] = useState<Backup | null>(null);
  if (backups.length === 0) return <EmptyState title="No backups yet">{empty ?? "Run \"Back up now\" on a host, or create a policy."}</EmptyState>;
  return (
    <>
      <Table>
        <THead>
          <Th>Finished</Th>
          {showHost && <Th>Host</Th>}
          <Th>Engine</Th>
          <Th>Size</Th>
          <Th>Duration</Th>
          <Th>Lock</Th>
          <Th>Binlog coordinates</Th>
          <Th>Status</Th>
          <Th />
        </THead>
        <TBody>
          {backups.map((b) => (
            <Tr key={b.id} data-testid={`backup-row-${b.id}`}>
              <Td>
                <Link href={`/backups/${b.id}`} className="font-medium text-brand-700 hover:underline">
                  {new Date(b.finishedAt).toLocaleString()}
                </Link>
                <div className="text-xs text-slate-500">{formatRelative(b.finishedAt)} · {b.databases.join(", ")}</div>
              </Td>
              {showHost && <Td>{b.host.name}</Td>}
              <Td>
                {b.engine}
                {b.encrypted && (
                  <Badge tone="violet" className="ml-1">
                    encrypted
                  </Badge>
                )}
                <ChainBadge b={b} />
              </Td>
              <Td className="tabular-nums">{formatBytes(b.sizeBytes)}</Td>
              <Td className="tabular-nums">{formatDuration(new Date(b.finishedAt).getTime() - new Date(b.startedAt).getTime())}</Td>
              <Td className="tabular-nums">{b.lockMs === null ? "—" : `${b.lockMs.toFixed(b.lockMs < 10 ? 1 : 0)} ms`}</Td>
              <Td>
                <Coordinates file={b.binlogFile} pos={b.binlogPos} gtid={b.gtid} />
              </Td>
              <Td>
                <VerifyBadge state={b.verifyState} />
                <ChainBrokenBadge reason={b.chainBroken} />
                {!b.chainBroken && <PredictedRestore p={b.predictedRestore} />}
              </Td>
              <Td className="text-right">
                {can("operator") && (
                  <Button size="sm" variant="secondary" onClick={() => setRestoring(b)}>
                    Restore…
                  </Button>
                )}
              </Td>
            </Tr>
          ))}
        </TBody>
      </Table>
      {restoring && <RestoreDialog backup={restoring} open={!!restoring} onClose={() => setRestoring(null)} />}
    </>
  );
}
