"use client";
import { use } from "react";
import { BackupHistoryCard } from "@/components/backups/backup-history-chart";
import { EngineSelectionCard } from "@/components/hosts/engine-selection-card";
import { HostHeader } from "@/components/hosts/host-header";
import { PrerequisitesCard, SchemaSizesCard, ServerFactsCard } from "@/components/hosts/host-facts";
import { useUser } from "@/components/shell/user-context";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { QueryState } from "@/components/ui/query-state";
import { trpc } from "@/lib/trpc";
import { formatRelative } from "@/server/util/format";

export default function HostPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const { can } = useUser();
  const q = trpc.hosts.get.useQuery({ id });
  return (
    <QueryState query={q} loadingLabel="Loading host…">
      {(host) => (
        <>
          <HostHeader host={host} tab="overview" />
          {!host.facts ? (
            <div className="space-y-6">
              <Card>
                <EmptyState title={host.introspectionError ? "No server facts: the connection failed" : "Not introspected yet"}>
                  Introspection connects to the server and reads its version, binlog and GTID settings, data sizes and privileges.
                  {can("operator") && " Use “Introspect now” above."}
                </EmptyState>
              </Card>
              <BackupHistoryCard hostId={host.id} />
            </div>
          ) : (
            <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
              <div className="space-y-6">
                <ServerFactsCard facts={host.facts} />
                <SchemaSizesCard facts={host.facts} />
                <BackupHistoryCard hostId={host.id} />
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
