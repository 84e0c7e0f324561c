"use client";
import { use } from "react";
import { HostHeader } from "@/components/hosts/host-header";
import { RunsTable } from "@/components/runs/runs-table";
import { Card } from "@/components/ui/card";
import { QueryState } from "@/components/ui/query-state";
import { trpc } from "@/lib/trpc";

export default function HostRunsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const host = trpc.hosts.get.useQuery({ id });
  const runs = trpc.runs.list.useQuery(
    { hostId: id, limit: 100 },
    { refetchInterval: (q) => (q.state.data?.items.some((r) => r.state === "running" || r.state === "queued") ? 1000 : 5000) },
  );
  return (
    <QueryState query={host}>
      {(h) => (
        <>
          <HostHeader host={h} tab="runs" />
          <Card>
            <QueryState query={runs}>{(r) => <RunsTable runs={r.items} showHost={false} empty={`No runs on ${h.name} yet. Start one with "Back up now".`} />}</QueryState>
          </Card>
        </>
      )}
    </QueryState>
  );
}
