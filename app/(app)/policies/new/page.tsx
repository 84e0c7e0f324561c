"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { PolicyForm } from "@/components/policies/policy-form";
import { PageHeader } from "@/components/ui/page-header";

function Inner() {
  const host = useSearchParams().get("host") ?? undefined;
  return <PolicyForm defaultHostId={host} />;
}

export default function NewPolicyPage() {
  return (
    <div className="max-w-4xl">
      <PageHeader breadcrumb={<Link href="/policies">Policies</Link>} title="New backup policy" description="A schedule, an engine, a target and how long to keep what it makes." />
      <Suspense>
        <Inner />
      </Suspense>
    </div>
  );
}
