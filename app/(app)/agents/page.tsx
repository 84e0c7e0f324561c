"use client";
import { useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { formErrors } from "@/lib/errors";
import { trpc } from "@/lib/trpc";
import { formatRelative } from "@/server/util/format";
import { NameCreateForm } from "@/components/ui/name-create-form";

const STATUS: Record<string, { tone: Tone; label: string }> = {
  online: { tone: "green", label: "online" },
  offline: { tone: "red", label: "offline" },
  "never-seen": { tone: "gray", label: "not registered yet" },
  revoked: { tone: "gray", label: "revoked" },
};

export default function AgentsPage() {
  const { can } = useUser();
  const utils = trpc.useUtils();
  const q = trpc.agents.list.useQuery(undefined, { refetchInterval: 5000 });
  const hosts = trpc.hosts.list.useQuery(undefined, { enabled: can("admin") });
  const [name, setName] = useState("");
  const [bind, setBind] = useState<Record<string, string>>({});
  const refresh = () => Promise.all([utils.agents.list.invalidate(), utils.hosts.list.invalidate()]);
  const create = trpc.agents.create.useMutation({ onSuccess: () => (setName(""), refresh()) });
  const revoke = trpc.agents.revoke.useMutation({ onSuccess: refresh });
  const bindHost = trpc.agents.bindHost.useMutation({ onSuccess: refresh });
  const { message, fields } = formErrors(create.error);
  const actionError = revoke.error?.message ?? bindHost.error?.message;
  const hostRows = (hosts.data ?? []) as { id: string; name: string }[];
  return (
    <>
      <PageHeader
        title="Agents"
        description="Runner agents on the database hosts: the runs of a host bound to an agent execute there (physical engines need the datadir), data goes straight from the agent to the storage target. Hosts without an agent use the runner embedded in this server."
      />
      {can("admin") && <NameCreateForm id="agent-name" label="New agent" placeholder="db1" value={name} onChange={setName} submitLabel="Create agent token" pending={create.isPending} error={fields.name} onSubmit={() => create.mutate({ name })} />}
      {message && !fields.name && <Alert tone="error" className="mb-4">{message}</Alert>}
      {actionError && <Alert tone="error" className="mb-4">{actionError}</Alert>}
      {create.data && (
        <Alert tone="warning" title={`Token of agent ${create.data.name}: shown once`} className="mb-4">
          <p>Copy it now: only its hash is kept. On the database host, run the agent with it (it needs the dashboard's URL and Redis):</p>
          <code className="mt-2 block break-all rounded bg-slate-900 px-2 py-1 text-xs text-slate-100" data-testid="agent-token">
            {create.data.token}
          </code>
          <code className="mt-2 block break-all rounded bg-slate-100 px-2 py-1 text-xs text-slate-800">DBBACKUP_AGENT_TOKEN=… dbbackup agent --server {typeof window !== "undefined" ? window.location.origin : "https://dashboard"}</code>
        </Alert>
      )}
      <Card>
        <DataTable
          query={q}
          rowKey={(a) => a.id}
          loadingLabel="Loading agents…"
          rowProps={(a) => ({ "data-testid": `agent-${a.name}` })}
          empty={<EmptyState title="No agents">Every run executes in this server. An admin creates an agent token here to run backups on the database hosts themselves.</EmptyState>}
          columns={[
            { header: "Name", className: "font-medium", cell: (a) => <span>{a.name}<span className="block font-mono text-xs font-normal text-slate-500">{a.tokenHint}</span></span> },
            {
              header: "Status",
              cell: (a) => (
                <span data-testid="agent-status">
                  <Badge tone={STATUS[a.status]!.tone}>{STATUS[a.status]!.label}</Badge>
                  <span className="block text-xs text-slate-500">{a.lastHeartbeatAt ? `heartbeat ${formatRelative(a.lastHeartbeatAt)}` : "no heartbeat yet"}</span>
                  {a.pendingCleanups > 0 && (
                    <span className="block text-xs text-amber-700" data-testid="agent-cleanups" title="Partial objects of dead or refused runs on this agent's local paths: the agent removes them when it heartbeats">
                      {a.pendingCleanups} cleanup{a.pendingCleanups === 1 ? "" : "s"} pending
                    </span>
                  )}
                </span>
              ),
            },
            { header: "Machine", className: "text-xs", cell: (a) => (a.hostname ? <span>{a.hostname}<span className="block text-slate-500">v{a.version}</span></span> : "—") },
            {
              header: "Tools and datadirs",
              className: "text-xs",
              cell: (a) => (
                <span>
                  <span className="flex flex-wrap gap-1">
                    {Object.entries(a.facts.tools ?? {})
                      .filter(([t, p]) => p && ["mariadb-backup", "xtrabackup", "lvcreate", "zfs", "btrfs"].includes(t))
                      .map(([t]) => (
                        <Badge key={t} tone="blue">{t}</Badge>
                      ))}
                  </span>
                  {(a.facts.datadirs ?? []).slice(0, 3).map((d) => (
                    <span key={d.path} className="block font-mono text-slate-500" title={d.path}>
                      {d.path.length > 40 ? "…" + d.path.slice(-39) : d.path} ({d.filesystem ?? "?"})
                    </span>
                  ))}
                  {(a.facts.datadirs?.length ?? 0) > 3 && <span className="block text-slate-500">and {a.facts.datadirs!.length - 3} more</span>}
                </span>
              ),
            },
            {
              header: "Hosts",
              cell: (a) => (
                <span className="flex flex-wrap items-center gap-1" data-testid="agent-hosts">
                  {a.hosts.length === 0 && <span className="text-xs text-slate-500">none</span>}
                  {a.hosts.map((h) => (
                    <Badge key={h.id} tone="violet">
                      {h.name}
                      {can("admin") && a.status !== "revoked" && (
                        <button type="button" className="ml-1 text-violet-500 hover:text-violet-900" aria-label={`Unbind ${h.name}`} onClick={() => bindHost.mutate({ hostId: h.id, agentId: null })}>
                          ×
                        </button>
                      )}
                    </Badge>
                  ))}
                </span>
              ),
            },
            {
              className: "text-right",
              cell: (a) =>
                can("admin") &&
                a.status !== "revoked" && (
                  <span className="flex items-center justify-end gap-2">
                    <Select aria-label={`Host to bind to ${a.name}`} value={bind[a.id] ?? ""} onChange={(e) => setBind({ ...bind, [a.id]: e.target.value })} className="w-44">
                      <option value="">Bind a host…</option>
                      {hostRows.filter((h) => !a.hosts.some((x) => x.id === h.id)).map((h) => (
                        <option key={h.id} value={h.id}>
                          {h.name}
                        </option>
                      ))}
                    </Select>
                    <Button size="sm" variant="secondary" disabled={!bind[a.id]} loading={bindHost.isPending} onClick={() => bindHost.mutate({ hostId: bind[a.id]!, agentId: a.id }, { onSuccess: () => setBind({ ...bind, [a.id]: "" }) })}>
                      Bind
                    </Button>
                    <Button size="sm" variant="danger" loading={revoke.isPending} onClick={() => confirm(`Revoke the token of agent ${a.name}? Its hosts go back to the embedded runner.`) && revoke.mutate({ id: a.id })}>
                      Revoke
                    </Button>
                  </span>
                ),
            },
          ]}
        />
      </Card>
    </>
  );
}
