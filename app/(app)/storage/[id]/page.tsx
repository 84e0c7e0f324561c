"use client";
import Link from "next/link";
import { use } from "react";
import { TargetForm } from "@/components/storage/target-form";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { trpc } from "@/lib/trpc";

export default function EditTargetPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const q = trpc.storage.get.useQuery({ id });
  return (
    <div className="max-w-3xl">
      <QueryState query={q}>
        {(t) => (
          <>
            <PageHeader breadcrumb={<Link href="/storage">Storage</Link>} title={`Edit ${t.name}`} />
            <TargetForm target={t} />
          </>
        )}
      </QueryState>
    </div>
  );
}
