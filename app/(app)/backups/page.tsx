"use client";
import { useState } from "react";
import { BackupsTable } from "@/components/backups/backups-table";
import { Card } from "@/components/ui/card";
import { LoadMore } from "@/components/ui/load-more";
import { Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { HostFilter } from "@/components/hosts/host-select";
import { trpc } from "@/lib/trpc";

export default function BackupsPage() {
  const [hostId, setHostId] = useState("");
  const q = trpc.backups.list.useInfiniteQuery({ hostId: hostId || undefined, limit: 50 }, { getNextPageParam: (p) => p.nextCursor });
  const items = q.data?.pages.flatMap((p) => p.items);
  return (
    <>
      <PageHeader title="Backups" description="Every complete backup: its size, lock time, binlog coordinates and whether a restore proved it." />
      <div className="mb-4">
        <HostFilter value={hostId} onChange={setHostId} className="w-48" />
      </div>
      <Card>
        <QueryState query={{ ...q, data: items }}>{(b) => <BackupsTable backups={b} />}</QueryState>
        <LoadMore query={q} />
      </Card>
    </>
  );
}
