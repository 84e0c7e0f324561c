"use client";
import Link from "next/link";
import { use } from "react";
import { HostForm } from "@/components/hosts/host-form";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { trpc } from "@/lib/trpc";

export default function EditHostPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const q = trpc.hosts.get.useQuery({ id });
  return (
    <div className="max-w-3xl">
      <QueryState query={q}>
        {(host) => (
          <>
            <PageHeader breadcrumb={<><Link href="/hosts">Hosts</Link> / <Link href={`/hosts/${host.id}`}>{host.name}</Link></>} title={`Edit ${host.name}`} />
            <HostForm host={host} />
          </>
        )}
      </QueryState>
    </div>
  );
}
