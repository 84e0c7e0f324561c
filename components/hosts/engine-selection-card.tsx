"use client";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { trpc } from "@/lib/trpc";

/** The selector's explanation for this host, as `dbbackup engine select` prints it. */
export function EngineSelectionCard({ hostId }: { hostId: string }) {
  const q = trpc.hosts.engines.useQuery({ id: hostId });
  if (!q.data?.report) return null;
  const r = q.data.report;
  return (
    <Card data-testid="engine-selection">
      <CardHeader
        title="Engine selection"
        description="What auto would choose for this host, and why."
        actions={r.recommendation.engine ? <Badge tone="blue">{r.recommendation.engine}</Badge> : <Badge tone="amber">none available</Badge>}
      />
      <CardBody className="space-y-3">
        <p className="text-sm text-slate-800" data-testid="engine-reason">
          {r.recommendation.reason}
        </p>
        <ul className="space-y-1 text-sm">
          {r.engines.map((e) => (
            <li key={e.name}>
              <span className={e.available ? "text-emerald-700" : "text-slate-400"}>{e.available ? "✓" : "✗"}</span> <span className="font-medium">{e.name}</span>{" "}
              <span className="text-xs text-slate-500">{e.available ? e.description : e.reasons.join("; ")}</span>
            </li>
          ))}
        </ul>
        <details>
          <summary className="cursor-pointer text-xs text-slate-500">As the CLI prints it</summary>
          <pre className="mt-2 overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100">{q.data.text}</pre>
        </details>
      </CardBody>
    </Card>
  );
}
