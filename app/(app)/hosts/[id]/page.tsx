"use client";
import { use } from "react";
import { EngineSelectionCard } from "@/components/hosts/engine-selection-card";
import { HostHeader } from "@/components/hosts/host-header";
import { PrerequisitesCard, SchemaSizesCard, ServerFactsCard } from "@/components/hosts/host-facts";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { QueryState } from "@/components/ui/query-state";
import { trpc } from "@/lib/trpc";
import { formatRelative } from "@/server/util/format";

export default function HostPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const { can } = useUser();
  const utils = trpc.useUtils();
  const q = trpc.hosts.get.useQuery({ id });
  const introspect = trpc.hosts.introspect.useMutation({ onSuccess: () => utils.hosts.get.invalidate({ id }) });
  return (
    <QueryState query={q} loadingLabel="Loading host…">
      {(host) => (
        <>
          <HostHeader host={host} tab="overview" />
          {host.introspectionError && (
            <Alert tone="warning" title="Last introspection failed" className="mb-4">
              {host.introspectionError}
            </Alert>
          )}
          {!host.facts ? (
            <Card>
              <EmptyState
                title="Not introspected yet"
                action={
                  can("operator") && (
                    <Button loading={introspect.isPending} onClick={() => introspect.mutate({ id })}>
                      Introspect now
                    </Button>
                  )
                }
              >
                Introspection connects to the server and reads its version, binlog and GTID settings, data sizes and privileges.
              </EmptyState>
            </Card>
          ) : (
            <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
              <div className="space-y-6">
                <ServerFactsCard facts={host.facts} />
                <SchemaSizesCard facts={host.facts} />
              </div>
              <div className="space-y-6">
                <EngineSelectionCard hostId={host.id} />
                {host.prerequisites && <PrerequisitesCard prerequisites={host.prerequisites} />}
              </div>
            </div>
          )}
          <p className="mt-4 text-xs text-slate-500">Introspected {formatRelative(host.introspectedAt)}.</p>
        </>
      )}
    </QueryState>
  );
}
