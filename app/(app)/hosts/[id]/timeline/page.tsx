"use client";
import { useRouter } from "next/navigation";
import { use, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { HostHeader } from "@/components/hosts/host-header";
import { useIncidentTimeline } from "@/components/incidents/use-incidents";
import { ArchiverCard } from "@/components/pitr/archiver-card";
import { PitrRestoreDialog } from "@/components/pitr/pitr-restore-dialog";
import { PitrTimeline } from "@/components/pitr/pitr-timeline";
import { useUser } from "@/components/shell/user-context";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { QueryState } from "@/components/ui/query-state";
import { trpc } from "@/lib/trpc";
import { formatBytes } from "@/server/util/format";

export default function HostTimelinePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const { can } = useUser();
  const host = trpc.hosts.get.useQuery({ id });
  const tl = trpc.pitr.timeline.useQuery({ hostId: id }, { refetchInterval: 3000 });
  const [pick, setPick] = useState<Date | null>(null);
  const router = useRouter();
  const drill = trpc.verifications.drill.useMutation({ onSuccess: (r) => router.push(`/runs/${r.id}`) });
  const [open, setOpen] = useState(false);
  const incidents = useIncidentTimeline(id);
  return (
    <QueryState query={host}>
      {(h) => (
        <>
          <HostHeader host={h} tab="timeline" />
          <QueryState query={tl} loadingLabel="Loading the timeline…">
            {(data) => (
              <div className="space-y-6">
                {drill.error && <Alert tone="error">{drill.error.message}</Alert>}
                <Card>
                  <CardHeader
                    title="Point-in-time recovery timeline"
                    description="Base backups and the archived binlogs after them. Hover to see what a restore to that moment would use; click to restore to it."
                    actions={
                      can("operator") && (
                        <>
                          <Button variant="secondary" loading={drill.isPending} onClick={() => drill.mutate({ hostId: id })} title="Restore an older backup in a sandbox, replay the archive to a random moment and to a newer backup, and compare">
                            Run a drill
                          </Button>
                          <Button
                            onClick={() => {
                              setPick(null);
                              setOpen(true);
                            }}
                          >
                            Restore to a point…
                          </Button>
                        </>
                      )
                    }
                  />
                  <CardBody>
                    <PitrTimeline
                      data={data}
                      overlay={incidents.overlay}
                      onPick={
                        can("operator")
                          ? (t) => {
                              setPick(t);
                              setOpen(true);
                            }
                          : undefined
                      }
                    />
                  </CardBody>
                </Card>
                {incidents.section(h)}
                <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
                  <ArchiverCard hostId={id} archiver={data.archiver} />
                  <Card className="lg:col-span-2">
                    <CardHeader title="Coverage and gaps" />
                    <CardBody className="space-y-3 text-sm">
                      {data.ranges.length === 0 && <p className="text-slate-500">No binlogs archived yet. Start the archiver to make point-in-time recovery possible.</p>}
                      {data.ranges.map((r, i) => (
                        <div key={`r${i}`} className="flex flex-wrap justify-between gap-2">
                          <span>
                            <span className="mr-2 inline-block h-2.5 w-4 rounded-sm bg-emerald-400 align-middle" />
                            {r.from ? new Date(r.from).toLocaleString() : "?"} → {r.to ? new Date(r.to).toLocaleString() : "?"} {r.live && <span className="text-emerald-700">(live)</span>}
                          </span>
                          <span className="font-mono text-xs text-slate-500">
                            {r.start.file}:{r.start.position} → {r.end.file}:{r.end.position} · {r.segments} segment(s) · {formatBytes(r.bytes)}
                          </span>
                        </div>
                      ))}
                      {data.gaps.map((g, i) => (
                        <div key={`g${i}`} className="rounded-md bg-red-50 px-3 py-2 text-red-800 ring-1 ring-inset ring-red-200" data-testid="gap-cause">
                          <span className="font-medium">Gap</span> {g.after.at ? `from ${new Date(g.after.at).toLocaleString()}` : ""} {g.before.at ? `to ${new Date(g.before.at).toLocaleString()}` : ""}: {g.cause}
                        </div>
                      ))}
                    </CardBody>
                  </Card>
                </div>
              </div>
            )}
          </QueryState>
          {open && <PitrRestoreDialog host={h} open={open} onClose={() => setOpen(false)} initialTime={pick} />}
        </>
      )}
    </QueryState>
  );
}
