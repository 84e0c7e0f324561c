"use client";
import Link from "next/link";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import type { RouterOutputs } from "@/lib/trpc";
import { formatDuration, formatRelative } from "@/server/util/format";
import { RunProgress, type RunProgressData } from "./run-progress";
import { KIND_LABEL, RunStateBadge } from "./run-state";

type Run = RouterOutputs["runs"]["list"]["items"][number];

export function duration(r: { startedAt: Date | null; finishedAt: Date | null; state: string }) {
  if (!r.startedAt) return "—";
  const end = r.finishedAt ? new Date(r.finishedAt).getTime() : Date.now();
  return formatDuration(end - new Date(r.startedAt).getTime());
}

export function RunsTable({ runs, showHost = true, empty }: { runs: Run[]; showHost?: boolean; empty?: React.ReactNode }) {
  if (runs.length === 0) return <EmptyState title="No runs">{empty ?? "Backups, restores and verifications appear here as they run."}</EmptyState>;
  return (
    <Table>
      <THead>
        <Th>Run</Th>
        {showHost && <Th>Host</Th>}
        <Th>State</Th>
        <Th>Progress</Th>
        <Th>Queued</Th>
        <Th>Duration</Th>
        <Th>By</Th>
      </THead>
      <TBody>
        {runs.map((r) => (
          <Tr key={r.id} data-testid={`run-row-${r.id}`}>
            <Td>
              <Link href={`/runs/${r.id}`} className="font-medium text-brand-700 hover:underline">
                {KIND_LABEL[r.kind] ?? r.kind}
              </Link>
              <div className="font-mono text-xs text-slate-400">{r.id}</div>
            </Td>
            {showHost && <Td>{r.host ? <Link href={`/hosts/${r.host.id}`} className="hover:underline">{r.host.name}</Link> : "—"}</Td>}
            <Td>
              <RunStateBadge state={r.state} />
              {r.attempt > 1 && <span className="ml-1 text-xs text-slate-500">attempt {r.attempt}</span>}
            </Td>
            <Td>
              {r.state === "failed" ? (
                <span className="line-clamp-2 max-w-xs text-xs text-red-700" title={r.error ?? undefined}>
                  {r.error}
                </span>
              ) : (
                <RunProgress progress={r.progress as RunProgressData} state={r.state} compact />
              )}
            </Td>
            <Td className="whitespace-nowrap text-xs">{formatRelative(r.queuedAt)}</Td>
            <Td className="whitespace-nowrap text-xs tabular-nums">{duration(r)}</Td>
            <Td className="text-xs">{r.createdBy?.email ?? (r.policyId ? "schedule" : "system")}</Td>
          </Tr>
        ))}
      </TBody>
    </Table>
  );
}
