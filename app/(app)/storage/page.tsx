"use client";
import Link from "next/link";
import { useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { TargetTestResult } from "@/components/storage/target-test-result";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button, ButtonLink } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { formatRelative } from "@/server/util/format";

type Target = RouterOutputs["storage"]["list"][number];

function TargetRow({ t }: { t: Target }) {
  const { can } = useUser();
  const utils = trpc.useUtils();
  const test = trpc.storage.test.useMutation({ onSettled: () => utils.storage.list.invalidate() });
  const del = trpc.storage.delete.useMutation({ onSuccess: () => utils.storage.list.invalidate() });
  return (
    <>
      <Tr data-testid={`target-${t.name}`}>
        <Td>
          {can("admin") ? (
            <Link href={`/storage/${t.id}`} className="font-medium text-brand-700 hover:underline">
              {t.name}
            </Link>
          ) : (
            <span className="font-medium">{t.name}</span>
          )}
        </Td>
        <Td>
          <Badge tone={t.kind === "s3" ? "blue" : "gray"}>{t.kind === "s3" ? "S3" : "local"}</Badge>
        </Td>
        <Td className="font-mono text-xs">{t.location}</Td>
        <Td>
          {t.lastTestAt ? (
            <Badge tone={t.lastTestOk ? "green" : "red"} title={t.lastTestError ?? undefined}>
              {t.lastTestOk ? "ok" : "failed"} {formatRelative(t.lastTestAt)}
            </Badge>
          ) : (
            <span className="text-slate-400">never tested</span>
          )}
        </Td>
        <Td className="text-right">
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
        </Td>
      </Tr>
      {(test.data || del.error || test.error) && (
        <tr>
          <td colSpan={5} className="px-4 pb-3">
            {test.data && <TargetTestResult result={test.data} />}
            {(del.error || test.error) && <Alert tone="error">{(del.error ?? test.error)!.message}</Alert>}
          </td>
        </tr>
      )}
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
        <QueryState query={q}>
          {(targets) =>
            targets.length === 0 ? (
              <EmptyState title="No storage targets" action={can("admin") && <ButtonLink href="/storage/new">Add a target</ButtonLink>}>
                Backups need somewhere to go: a local directory or an S3 bucket.
              </EmptyState>
            ) : (
              <Table>
                <THead>
                  <Th>Name</Th>
                  <Th>Kind</Th>
                  <Th>Location</Th>
                  <Th>Last test</Th>
                  <Th />
                </THead>
                <TBody>
                  {targets.map((t) => (
                    <TargetRow key={t.id} t={t} />
                  ))}
                </TBody>
              </Table>
            )
          }
        </QueryState>
      </Card>
    </>
  );
}
