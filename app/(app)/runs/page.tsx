"use client";
import { useState } from "react";
import { RunsTable } from "@/components/runs/runs-table";
import { Card } from "@/components/ui/card";
import { LoadMore } from "@/components/ui/load-more";
import { Input, Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { HostFilter } from "@/components/hosts/host-select";
import { trpc } from "@/lib/trpc";

const STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
const KINDS = ["backup", "restore", "verify", "binlog", "prune"] as const;

export default function RunsPage() {
  const [hostId, setHostId] = useState("");
  const [state, setState] = useState("");
  const [kind, setKind] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const filters = {
    hostId: hostId || undefined,
    state: state ? [state as (typeof STATES)[number]] : undefined,
    kind: kind ? [kind as (typeof KINDS)[number]] : undefined,
    from: from ? new Date(from) : undefined,
    to: to ? new Date(to + "T23:59:59") : undefined,
    limit: 50,
  };
  const q = trpc.runs.list.useInfiniteQuery(filters, {
    getNextPageParam: (p) => p.nextCursor,
    refetchInterval: (query) => (query.state.data?.pages.some((p) => p.items.some((r) => r.state === "running" || r.state === "queued")) ? 1000 : 5000),
  });
  const runs = q.data?.pages.flatMap((p) => p.items);
  return (
    <>
      <PageHeader title="Runs" description="Every backup, restore, verification and archive run, with its live progress and log." />
      <div className="mb-4 flex flex-wrap items-end gap-2">
        <HostFilter value={hostId} onChange={setHostId} className="w-44" />
        <Select aria-label="State" className="w-36" value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">Any state</option>
          {STATES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </Select>
        <Select aria-label="Kind" className="w-36" value={kind} onChange={(e) => setKind(e.target.value)}>
          <option value="">Any kind</option>
          {KINDS.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </Select>
        <Input aria-label="From date" type="date" className="w-40" value={from} onChange={(e) => setFrom(e.target.value)} />
        <Input aria-label="To date" type="date" className="w-40" value={to} onChange={(e) => setTo(e.target.value)} />
      </div>
      <Card>
        <QueryState query={{ ...q, data: runs }} loadingLabel="Loading runs…">
          {(items) => <RunsTable runs={items} empty="No run matches these filters." />}
        </QueryState>
        <LoadMore query={q} />
      </Card>
    </>
  );
}
