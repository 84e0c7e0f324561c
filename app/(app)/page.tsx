"use client";
import Link from "next/link";
import { SizeChart } from "@/components/backups/size-chart";
import { EnvironmentBadge } from "@/components/hosts/host-status";
import { useUser } from "@/components/shell/user-context";
import { Badge } from "@/components/ui/badge";
import { ButtonLink } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { cx } from "@/components/ui/cx";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { formatBytes, formatDuration, formatRelative } from "@/server/util/format";

type Row = RouterOutputs["overview"]["get"][number];

function GettingStarted({ hosts, targets }: { hosts: number; targets: number }) {
  const { can } = useUser();
  const steps = [
    { done: hosts > 0, label: "Register a database host", href: "/hosts/new", who: "admin" as const },
    { done: targets > 0, label: "Add a storage target", href: "/storage/new", who: "admin" as const },
    { done: false, label: "Create a policy (schedule, retention, verification)", href: "/policies/new", who: "operator" as const },
  ];
  return (
    <Card className="mb-6">
      <CardHeader title="Get started" description="Or run npm run demo: a sandbox MariaDB with sample data, already registered with a local target." />
      <CardBody>
        <ol className="space-y-2">
          {steps.map((s, i) => (
            <li key={i} className="flex items-center gap-3 text-sm">
              <span className={s.done ? "text-emerald-600" : "text-slate-400"}>{s.done ? "✓" : `${i + 1}.`}</span>
              {s.done || !can(s.who) ? (
                <span className={s.done ? "text-slate-500 line-through" : ""}>{s.label}</span>
              ) : (
                <Link className="text-brand-700 hover:underline" href={s.href}>
                  {s.label}
                </Link>
              )}
            </li>
          ))}
        </ol>
      </CardBody>
    </Card>
  );
}

const HEALTH = {
  failing: { tone: "red" as const, label: "failing", ring: "ring-red-300" },
  warning: { tone: "amber" as const, label: "attention", ring: "ring-amber-200" },
  unknown: { tone: "gray" as const, label: "no backups", ring: "ring-slate-200" },
  ok: { tone: "green" as const, label: "healthy", ring: "ring-slate-200" },
};

function Metric({ label, value, hint }: { label: string; value: React.ReactNode; hint?: string }) {
  return (
    <div title={hint}>
      <div className="text-xs text-slate-500">{label}</div>
      <div className="text-sm font-medium tabular-nums text-slate-900">{value}</div>
    </div>
  );
}

function HostCard({ r }: { r: Row }) {
  const h = HEALTH[r.health];
  return (
    <Card className={cx("flex flex-col", h.ring)} data-testid={`overview-${r.host.name}`}>
      <div className="flex items-center justify-between border-b border-slate-100 px-4 py-3">
        <Link href={`/hosts/${r.host.id}`} className="font-medium text-slate-900 hover:underline">
          {r.host.name}
        </Link>
        <span className="flex gap-1">
          <EnvironmentBadge env={r.host.environment} />
          <Badge tone={h.tone}>{h.label}</Badge>
        </span>
      </div>
      <div className="grid grid-cols-2 gap-3 px-4 py-3">
        <Metric label="Last backup" value={r.lastBackup ? formatRelative(r.lastBackup.finishedAt) : "never"} hint={r.lastBackup ? new Date(r.lastBackup.finishedAt).toLocaleString() : undefined} />
        <Metric label="Size / duration" value={r.lastBackup ? `${formatBytes(r.lastBackup.sizeBytes)} · ${formatDuration(r.lastBackup.durationMs)}` : "—"} />
        <Metric
          label="Last verification"
          value={r.lastVerification ? <span className={r.lastVerification.result === "passed" ? "text-emerald-700" : "text-red-700"}>{r.lastVerification.result} {formatRelative(r.lastVerification.at)}</span> : "never"}
        />
        <Metric label="RTO (last restore drill)" value={r.rtoMs !== null ? formatDuration(r.rtoMs) : "—"} hint="How long the newest verification restore took." />
        <Metric
          label="RPO (binlog lag)"
          value={r.rpoSeconds !== null && r.rpoSeconds !== undefined ? `${r.rpoSeconds < 1 ? r.rpoSeconds.toFixed(1) : Math.round(r.rpoSeconds)} s` : r.archiver ? r.archiver.status : "no archiving"}
          hint="Seconds between the server's newest binlog event and the newest archived one."
        />
        <Metric label="Now" value={r.running ? <Link className="text-brand-700 hover:underline" href={`/runs/${r.running.id}`}>{r.running.kind} running</Link> : "idle"} />
      </div>
      {(r.problems.length > 0 || r.warnings.length > 0) && (
        <ul className="space-y-0.5 border-t border-slate-100 px-4 py-2 text-xs">
          {r.problems.map((p, i) => (
            <li key={`p${i}`} className="line-clamp-2 text-red-700">
              {p}
            </li>
          ))}
          {r.warnings.map((p, i) => (
            <li key={`w${i}`} className="text-amber-700">
              {p}
            </li>
          ))}
        </ul>
      )}
      {r.recent.length >= 2 && (
        <div className="mt-auto border-t border-slate-100 px-4 py-2">
          <SizeChart backups={r.recent} />
        </div>
      )}
    </Card>
  );
}

export default function OverviewPage() {
  const q = trpc.overview.get.useQuery(undefined, { refetchInterval: 5000 });
  const targets = trpc.storage.list.useQuery();
  const { can } = useUser();
  return (
    <>
      <PageHeader title="Overview" description="Every host's last backup, last verification, live RPO and measured RTO. Failing hosts first." actions={can("admin") && <ButtonLink variant="secondary" href="/hosts/new">Add host</ButtonLink>} />
      {q.data && targets.data && (q.data.length === 0 || targets.data.length === 0) && <GettingStarted hosts={q.data.length} targets={targets.data.length} />}
      <QueryState query={q}>
        {(rows) => (
          <div className="grid grid-cols-1 gap-4 md:grid-cols-2 xl:grid-cols-3">
            {rows.map((r) => (
              <HostCard key={r.host.id} r={r} />
            ))}
          </div>
        )}
      </QueryState>
    </>
  );
}
