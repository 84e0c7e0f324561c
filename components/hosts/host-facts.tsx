"use client";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import type { RouterOutputs } from "@/lib/trpc";
import { formatBytes, formatDuration } from "@/server/util/format";

type Host = RouterOutputs["hosts"]["get"];
type Facts = NonNullable<Host["facts"]>;

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-3 gap-2 py-1.5 text-sm">
      <dt className="text-slate-500">{label}</dt>
      <dd className="col-span-2 text-slate-900">{children}</dd>
    </div>
  );
}

const onOff = (v: boolean | null | undefined, on = "on", off = "off") => (v ? <Badge tone="green">{on}</Badge> : <Badge tone="amber">{off}</Badge>);

export function ServerFactsCard({ facts }: { facts: Facts }) {
  return (
    <Card>
      <CardHeader title="Server" description={`Collected ${new Date(facts.collectedAt).toLocaleString()}`} />
      <CardBody>
        <dl className="divide-y divide-slate-100">
          <Row label="Version">
            {facts.flavor === "mariadb" ? "MariaDB" : facts.flavor === "percona" ? "Percona Server" : "MySQL"} {facts.version}
            <span className="ml-2 text-xs text-slate-500">{facts.versionComment}</span>
          </Row>
          <Row label="server_id">{facts.serverId}</Row>
          <Row label="Datadir">
            <code className="text-xs">{facts.datadir}</code>
            {facts.datadirFilesystem && <Badge className="ml-2">{facts.datadirFilesystem}</Badge>}
            {!facts.isLocal && <span className="ml-2 text-xs text-slate-500">(remote: filesystem not visible)</span>}
          </Row>
          <Row label="Binary log">
            {onOff(facts.binlog.enabled)}{" "}
            {facts.binlog.enabled && (
              <span className="text-xs text-slate-600">
                format {facts.binlog.format}, row image {facts.binlog.rowImage}, checksum {facts.binlog.checksum}
                {facts.binlog.currentFile && (
                  <>
                    , at <code>{facts.binlog.currentFile}:{facts.binlog.currentPosition}</code>
                  </>
                )}
                {facts.binlog.expireSeconds ? `, expires after ${formatDuration(facts.binlog.expireSeconds * 1000)}` : ", never expires"}
              </span>
            )}
          </Row>
          <Row label="GTID">
            {facts.flavor === "mariadb" ? (
              <span className="text-xs">
                domain {facts.gtid.domainId}, strict mode {facts.gtid.strictMode ? "on" : "off"}, position <code>{facts.gtid.executed || "(empty)"}</code>
              </span>
            ) : (
              <>
                {onOff(facts.gtid.enabled, "ON", facts.gtid.mode ?? "OFF")} {facts.gtid.executed && <code className="ml-1 text-xs">{facts.gtid.executed}</code>}
              </>
            )}
          </Row>
          <Row label="Clone plugin">{facts.clonePlugin === "unsupported" ? <span className="text-slate-500">not available on MariaDB</span> : <Badge tone={facts.clonePlugin === "active" ? "green" : "amber"}>{facts.clonePlugin}</Badge>}</Row>
          {facts.user && (
            <Row label="Account">
              <code className="text-xs">{facts.user}</code>
            </Row>
          )}
          <Row label="Time zone">{facts.timeZone}</Row>
          <Row label="InnoDB buffer pool">{formatBytes(facts.innodb.bufferPoolBytes)}</Row>
        </dl>
      </CardBody>
    </Card>
  );
}

export function SchemaSizesCard({ facts }: { facts: Facts }) {
  const sizes = facts.sizes.filter((s) => s.name !== "mysql");
  const max = Math.max(1, ...sizes.map((s) => s.dataBytes + s.indexBytes));
  return (
    <Card>
      <CardHeader title="Data size per schema" description={`${formatBytes(facts.totalBytes)} in ${sizes.length} database(s), data and indexes`} />
      <CardBody>
        {sizes.length === 0 ? (
          <p className="text-sm text-slate-500">No user databases.</p>
        ) : (
          <ul className="space-y-2" aria-label="schema sizes">
            {sizes.map((s) => (
              <li key={s.name} className="text-sm">
                <div className="flex justify-between">
                  <span className="font-mono text-xs">{s.name}</span>
                  <span className="text-xs text-slate-500">
                    {formatBytes(s.dataBytes + s.indexBytes)} · {s.tables} table{s.tables === 1 ? "" : "s"}
                  </span>
                </div>
                <div className="mt-1 flex h-2 overflow-hidden rounded bg-slate-100" title={`data ${formatBytes(s.dataBytes)}, indexes ${formatBytes(s.indexBytes)}`}>
                  <div className="bg-brand-500" style={{ width: `${(s.dataBytes / max) * 100}%` }} />
                  <div className="bg-brand-100" style={{ width: `${(s.indexBytes / max) * 100}%` }} />
                </div>
              </li>
            ))}
          </ul>
        )}
      </CardBody>
    </Card>
  );
}

const ENGINE_LABEL: Record<string, string> = {
  logical: "Logical (native dump)",
  clone: "Clone (MySQL 8.0.17+)",
  snapshot: "Filesystem snapshot",
  mariabackup: "mariabackup / xtrabackup",
  "binlog-archive": "Binlog archive (PITR)",
};

export function PrerequisitesCard({ prerequisites }: { prerequisites: NonNullable<Host["prerequisites"]> }) {
  return (
    <Card>
      <CardHeader title="Engines and prerequisites" description="What each engine needs on this host, and the exact fix for what is missing." />
      <CardBody className="space-y-4">
        {prerequisites.map((p) => (
          <div key={p.engine} data-testid={`engine-${p.engine}`}>
            <div className="flex items-center gap-2">
              <span className="text-sm font-medium">{ENGINE_LABEL[p.engine] ?? p.engine}</span>
              {p.available ? <Badge tone="green">ready</Badge> : <Badge tone="amber">needs attention</Badge>}
            </div>
            <ul className="mt-1.5 space-y-1">
              {p.checks.map((c, i) => (
                <li key={i} className="flex gap-2 text-sm">
                  <span className={c.ok ? "text-emerald-600" : "text-amber-600"} aria-label={c.ok ? "ok" : "missing"}>
                    {c.ok ? "✓" : "✗"}
                  </span>
                  <div className="min-w-0">
                    <span className={c.ok ? "text-slate-600" : "text-slate-900"}>{c.what}</span>
                    {!c.ok && c.fix && <code className="mt-0.5 block overflow-x-auto rounded bg-slate-900 px-2 py-1 text-xs text-slate-100">{c.fix}</code>}
                  </div>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </CardBody>
    </Card>
  );
}
