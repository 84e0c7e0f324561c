"use client";
import Link from "next/link";
import { useUser } from "@/components/shell/user-context";
import { TargetTestResult } from "@/components/storage/target-test-result";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button, ButtonLink } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { formatRelative } from "@/server/util/format";

type Target = RouterOutputs["storage"]["list"][number];

/** Each row's own "Test" and "Delete": a row's pending state, test result and error are its own. */
function useTargetActions() {
  const utils = trpc.useUtils();
  const test = trpc.storage.test.useMutation({ onSettled: () => utils.storage.list.invalidate() });
  const del = trpc.storage.delete.useMutation({ onSuccess: () => utils.storage.list.invalidate() });
  return { test, del };
}
type TargetActions = ReturnType<typeof useTargetActions>;

function TargetActionButtons({ t, actions: { test, del } }: { t: Target; actions: TargetActions }) {
  const { can } = useUser();
  return (
    <>
      {can("operator") && (
        <Button size="sm" variant="secondary" loading={test.isPending} onClick={() => test.mutate({ id: t.id })}>
          Test
        </Button>
      )}
      {can("admin") && (
        <Button
          size="sm"
          variant="ghost"
          className="ml-1"
          loading={del.isPending}
          onClick={() => {
            if (confirm(`Delete storage target ${t.name}? Objects already written stay where they are.`)) del.mutate({ id: t.id });
          }}
        >
          Delete
        </Button>
      )}
    </>
  );
}

/** Under the row: its last test result and the error of its test or delete, if any. */
function targetActionResult({ test, del }: TargetActions) {
  const error = del.error ?? test.error;
  if (!test.data && !error) return null;
  return (
    <>
      {test.data && <TargetTestResult result={test.data} />}
      {error && <Alert tone="error">{error.message}</Alert>}
    </>
  );
}

export default function StoragePage() {
  const { can } = useUser();
  const q = trpc.storage.list.useQuery();
  return (
    <>
      <PageHeader title="Storage targets" description="Local directories and S3 buckets that hold backups and archived binlogs." actions={can("admin") && <ButtonLink href="/storage/new">Add target</ButtonLink>} />
      <Card>
        <DataTable
          query={q}
          rowKey={(t) => t.id}
          rowProps={(t) => ({ "data-testid": `target-${t.name}` })}
          useRow={useTargetActions}
          detail={(_t, actions) => targetActionResult(actions)}
          empty={
            <EmptyState title="No storage targets" action={can("admin") && <ButtonLink href="/storage/new">Add a target</ButtonLink>}>
              Backups need somewhere to go: a local directory or an S3 bucket.
            </EmptyState>
          }
          columns={[
            {
              header: "Name",
              cell: (t) =>
                can("admin") ? (
                  <Link href={`/storage/${t.id}`} className="font-medium text-brand-700 hover:underline">
                    {t.name}
                  </Link>
                ) : (
                  <span className="font-medium">{t.name}</span>
                ),
            },
            { header: "Kind", cell: (t) => <Badge tone={t.kind === "s3" ? "blue" : "gray"}>{t.kind === "s3" ? "S3" : "local"}</Badge> },
            { header: "Location", className: "font-mono text-xs", cell: (t) => t.location },
            {
              header: "Last test",
              cell: (t) =>
                t.lastTestAt ? (
                  <Badge tone={t.lastTestOk ? "green" : "red"} title={t.lastTestError ?? undefined}>
                    {t.lastTestOk ? "ok" : "failed"} {formatRelative(t.lastTestAt)}
                  </Badge>
                ) : (
                  <span className="text-slate-400">never tested</span>
                ),
            },
            { className: "text-right", cell: (t, actions) => <TargetActionButtons t={t} actions={actions} /> },
          ]}
        />
      </Card>
    </>
  );
}
