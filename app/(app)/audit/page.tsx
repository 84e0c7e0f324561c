"use client";
import { useState } from "react";
import { Card } from "@/components/ui/card";
import { LoadMore } from "@/components/ui/load-more";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Alert } from "@/components/ui/alert";
import { Loading } from "@/components/ui/spinner";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { trpc } from "@/lib/trpc";

export default function AuditPage() {
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const q = trpc.audit.list.useInfiniteQuery({ limit: 50, action: action || undefined, actor: actor || undefined }, { getNextPageParam: (p) => p.nextCursor });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <>
      <PageHeader title="Audit log" description="Every change: who, what, when." />
      <div className="mb-4 flex gap-2">
        <Input className="max-w-xs" placeholder="Filter by action (e.g. host.)" value={action} onChange={(e) => setAction(e.target.value)} aria-label="Filter by action" />
        <Input className="max-w-xs" placeholder="Filter by user" value={actor} onChange={(e) => setActor(e.target.value)} aria-label="Filter by user" />
      </div>
      <Card>
        {q.isLoading ? (
          <Loading />
        ) : q.error ? (
          <Alert tone="error">{q.error.message}</Alert>
        ) : items.length === 0 ? (
          <EmptyState title="Nothing recorded yet">Changes to users, hosts, storage, policies and every run appear here.</EmptyState>
        ) : (
          <Table>
            <THead>
              <Th>When</Th>
              <Th>Who</Th>
              <Th>Action</Th>
              <Th>Details</Th>
            </THead>
            <TBody>
              {items.map((e) => (
                <Tr key={e.id}>
                  <Td className="whitespace-nowrap text-xs">{new Date(e.at).toLocaleString()}</Td>
                  <Td className="text-xs">{e.actorEmail}</Td>
                  <Td>
                    <code className="text-xs">{e.action}</code>
                  </Td>
                  <Td className="max-w-xl truncate font-mono text-xs text-slate-500" title={JSON.stringify(e.details)}>
                    {Object.entries(e.details)
                      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
                      .join("  ")}
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
        <LoadMore query={q} />
      </Card>
    </>
  );
}
