"use client";
import { useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Select } from "@/components/ui/field";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { formatRelative } from "@/server/util/format";

type Timeline = RouterOutputs["pitr"]["timeline"];

/** The host's binlog archiver: state, live lag (RPO), position, and start/stop. */
export function ArchiverCard({ hostId, archiver }: { hostId: string; archiver: Timeline["archiver"] }) {
  const { can } = useUser();
  const utils = trpc.useUtils();
  const host = trpc.hosts.get.useQuery({ id: hostId });
  const targets = trpc.storage.list.useQuery(undefined, { enabled: can("operator") });
  const [targetId, setTargetId] = useState("");
  const done = () => Promise.all([utils.pitr.timeline.invalidate({ hostId }), utils.hosts.get.invalidate({ id: hostId })]);
  const start = trpc.archiving.start.useMutation({ onSuccess: done });
  const stop = trpc.archiving.stop.useMutation({ onSuccess: done });
  const running = archiver?.status === "running";
  const wanted = !!host.data?.archiveTargetId;
  const tone = running ? "green" : archiver?.status === "error" ? "red" : "gray";
  return (
    <Card>
      <CardHeader
        title="Binlog archiver"
        description="Streams the server's binlogs as a replica, byte for byte, to the storage target."
        actions={<Badge tone={tone}>{archiver?.status ?? "never started"}</Badge>}
      />
      <CardBody className="space-y-3 text-sm">
        {archiver && (
          <dl className="grid grid-cols-2 gap-2">
            <div>
              <dt className="text-xs text-slate-500">Live RPO (lag)</dt>
              <dd className="font-medium tabular-nums" data-testid="archiver-lag">
                {running && archiver.lagSeconds !== null ? `${archiver.lagSeconds < 1 ? archiver.lagSeconds.toFixed(2) : Math.round(archiver.lagSeconds)} s` : "—"}
              </dd>
            </div>
            <div>
              <dt className="text-xs text-slate-500">Newest archived event</dt>
              <dd className="font-medium">{formatRelative(archiver.lastEventAt)}</dd>
            </div>
            <div className="col-span-2">
              <dt className="text-xs text-slate-500">Durable position</dt>
              <dd className="font-mono text-xs">{archiver.file ? `${archiver.file}:${archiver.position}` : "—"}</dd>
            </div>
          </dl>
        )}
        {archiver?.status === "error" && archiver.message && <Alert tone="error">{archiver.message}</Alert>}
        {(start.error || stop.error) && <Alert tone="error">{(start.error ?? stop.error)!.message}</Alert>}
        {can("operator") &&
          (wanted || running ? (
            <Button variant="secondary" loading={stop.isPending} onClick={() => stop.mutate({ hostId })}>
              Stop archiving
            </Button>
          ) : (
            <div className="flex items-end gap-2">
              <Select aria-label="Archive to" className="w-56" value={targetId || targets.data?.[0]?.id || ""} onChange={(e) => setTargetId(e.target.value)}>
                {targets.data?.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </Select>
              <Button loading={start.isPending} disabled={!targets.data?.length} onClick={() => start.mutate({ hostId, targetId: targetId || targets.data![0]!.id, compress: true })}>
                Start archiving
              </Button>
            </div>
          ))}
      </CardBody>
    </Card>
  );
}
