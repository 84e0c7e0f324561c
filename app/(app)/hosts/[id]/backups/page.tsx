"use client";
import { use } from "react";
import { BackupsTable } from "@/components/backups/backups-table";
import { SizeChart } from "@/components/backups/size-chart";
import { HostHeader } from "@/components/hosts/host-header";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { QueryState } from "@/components/ui/query-state";
import { trpc } from "@/lib/trpc";

export default function HostBackupsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const host = trpc.hosts.get.useQuery({ id });
  const backups = trpc.backups.list.useQuery({ hostId: id, limit: 100 });
  return (
    <QueryState query={host}>
      {(h) => (
        <>
          <HostHeader host={h} tab="backups" />
          <QueryState query={backups}>
            {(b) => (
              <div className="space-y-6">
                {b.items.length >= 2 && (
                  <Card>
                    <CardHeader title="Size and duration over time" />
                    <CardBody>
                      <SizeChart backups={b.items} />
                    </CardBody>
                  </Card>
                )}
                <Card>
                  <BackupsTable backups={b.items} showHost={false} empty={`No backups of ${h.name} yet. Use "Back up now" above.`} />
                </Card>
              </div>
            )}
          </QueryState>
        </>
      )}
    </QueryState>
  );
}
