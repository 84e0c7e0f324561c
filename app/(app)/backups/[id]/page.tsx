"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { use, useState } from "react";
import { Coordinates, VerifyBadge } from "@/components/backups/backups-table";
import { ChainLinks, PredictedRestore } from "@/components/backups/chain-badge";
import { describeFingerprint, describeFormat } from "@/components/backups/describe";
import { RestoreDialog } from "@/components/backups/restore-dialog";
import { VerificationChecks, VerificationResult } from "@/components/backups/verification-checks";
import { useUser } from "@/components/shell/user-context";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button, ButtonLink } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { QueryState } from "@/components/ui/query-state";
import { Loading } from "@/components/ui/spinner";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { trpc } from "@/lib/trpc";
import { formatBytes, formatDuration } from "@/server/util/format";

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-3 gap-2 py-1.5 text-sm">
      <dt className="text-slate-500">{label}</dt>
      <dd className="col-span-2 text-slate-900">{children}</dd>
    </div>
  );
}

function ManifestCard({ id }: { id: string }) {
  const m = trpc.backups.manifest.useQuery({ id });
  if (m.isLoading) return <Loading label="Reading the manifest from storage…" />;
  if (m.error) return <Alert tone="error" title="The manifest cannot be read">{m.error.message}</Alert>;
  const manifest = m.data!;
  return (
    <Card>
      <CardHeader title="Contents" description={`${manifest.objects.length} objects, ${formatBytes(manifest.totals.storedBytes)} stored (${formatBytes(manifest.totals.rawBytes)} raw), ${manifest.totals.rows.toLocaleString()} rows`} />
      <Table>
        <THead>
          <Th>Table</Th>
          <Th>Rows</Th>
          <Th>Size (raw)</Th>
          <Th>
            <span title="What a verification compares after restoring: the row count and a SHA-256 of the rows. pk-sha256 hashes the rows in primary-key order; multiset-sha256 (tables without a primary key) hashes them in any order.">
              Fingerprint
            </span>
          </Th>
        </THead>
        <TBody>
          {manifest.databases.flatMap((d) =>
            d.tables.map((t) => (
              <Tr key={`${d.name}.${t.name}`}>
                <Td className="font-mono text-xs">
                  {d.name}.{t.name}
                  {t.kind === "sequence" && <Badge className="ml-1">sequence</Badge>}
                </Td>
                <Td className="tabular-nums">{t.rows.toLocaleString()}</Td>
                <Td className="tabular-nums">{formatBytes(t.rawBytes)}</Td>
                <Td className="text-xs text-slate-500" title={t.fingerprint ? `${t.fingerprint.method}: ${t.fingerprint.hash}` : undefined} data-testid="table-fingerprint">
                  {t.fingerprint ? (
                    <>
                      <span className="cursor-help">{t.fingerprint.rows.toLocaleString()} rows, SHA-256 </span>
                      <span className="font-mono">{t.fingerprint.hash.slice(0, 12)}…</span>
                    </>
                  ) : (
                    "—"
                  )}
                </Td>
              </Tr>
            )),
          )}
        </TBody>
      </Table>
      <CardBody className="border-t border-slate-100 text-xs text-slate-500">
        {[...new Set(manifest.databases.flatMap((d) => d.tables.map((t): string => t.fingerprint?.method ?? "")).filter(Boolean))].map((method) => (
          <p key={method} className="mb-1" title={method}>
            Fingerprint: {describeFingerprint(method)}.
          </p>
        ))}
        {manifest.databases.map((d) => (
          <div key={d.name}>
            <span className="font-mono">{d.name}</span>: {d.tables.length} tables, {d.views.length} views, {d.routines.length} routines, {d.triggers.length} triggers, {d.events.length} events
          </div>
        ))}
      </CardBody>
    </Card>
  );
}

export default function BackupPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = use(params);
  const { can } = useUser();
  const router = useRouter();
  const q = trpc.backups.get.useQuery({ id });
  const del = trpc.backups.delete.useMutation({ onSuccess: () => router.push("/backups") });
  const verify = trpc.verifications.start.useMutation({ onSuccess: (r) => router.push(`/runs/${r.id}`) });
  const verifications = trpc.verifications.list.useQuery({ backupId: id, limit: 20 });
  const [restoring, setRestoring] = useState(false);
  return (
    <QueryState query={q} loadingLabel="Loading backup…">
      {(b) => (
        <>
          <PageHeader
            breadcrumb={
              <>
                <Link href="/backups">Backups</Link> / <Link href={`/hosts/${b.host.id}/backups`}>{b.host.name}</Link>
              </>
            }
            title={
              <span className="flex items-center gap-2">
                Backup of {b.host.name} <VerifyBadge state={b.verifyState} />
                {b.state === "deleted" && <Badge tone="red">deleted</Badge>}
              </span>
            }
            description={<span className="font-mono text-xs">{b.id}</span>}
            actions={
              b.state === "complete" && (
                <>
                  {can("operator") && <Button onClick={() => setRestoring(true)}>Restore…</Button>}
                  {can("operator") && (
                    <Button variant="secondary" loading={verify.isPending} onClick={() => verify.mutate({ backupId: id })}>
                      Verify now
                    </Button>
                  )}
                  {b.runId && (
                    <ButtonLink variant="secondary" href={`/runs/${b.runId}`}>
                      Backup run
                    </ButtonLink>
                  )}
                  {can("admin") && (
                    <Button
                      variant="ghost"
                      loading={del.isPending}
                      onClick={() => {
                        if (confirm("Delete this backup's objects from storage? This cannot be undone.")) del.mutate({ id });
                      }}
                    >
                      Delete
                    </Button>
                  )}
                </>
              )
            }
          />
          {b.chainBroken && (
            <Alert tone="error" title="This backup cannot be restored: a link of its chain is missing or damaged" className="mb-4">
              {b.chainBroken}
            </Alert>
          )}
          {b.verifyState === "failed" && (
            <Alert tone="error" title="The last verification of this backup failed" className="mb-4">
              Restoring it did not reproduce what it recorded; see the failed checks below. Do not rely on it.
            </Alert>
          )}
          {(del.error || verify.error) && (
            <Alert tone="error" className="mb-4">
              {(del.error ?? verify.error)!.message}
            </Alert>
          )}
          <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
            <Card>
              <CardHeader title="Summary" />
              <CardBody>
                <dl className="divide-y divide-slate-100">
                  <Row label="Finished">{new Date(b.finishedAt).toLocaleString()}</Row>
                  <Row label="Duration">
                    <span title="Engine time: from the start of the dump or copy to its last object. The run's time also counts the queue, connecting and writing the catalog." data-testid="backup-duration">
                      backup took {formatDuration(new Date(b.finishedAt).getTime() - new Date(b.startedAt).getTime())} (engine time)
                    </span>
                  </Row>
                  <Row label="Kind">
                    <span title={describeFormat(b.engine, b.format).technical} data-testid="backup-format">
                      {describeFormat(b.engine, b.format).words}
                    </span>
                  </Row>
                  <Row label="Server">{b.serverVersion}</Row>
                  <Row label="Size">{formatBytes(b.sizeBytes)} in {b.objectCount} objects</Row>
                  <Row label="Compression">{b.compression}</Row>
                  <Row label="Encryption">{b.encryptionKey ? `${b.encryptionKey.name} (key ${b.encryptionKey.keyId})` : "none"}</Row>
                  <Row label="Lock time">{b.lockMs === null ? "—" : `${b.lockMs.toFixed(1)} ms`}</Row>
                  {b.predictedRestore && !b.chainBroken && (
                    <Row label="Predicted restore">
                      <PredictedRestore p={b.predictedRestore} />
                    </Row>
                  )}
                  <Row label="Coordinates">
                    <Coordinates file={b.binlogFile} pos={b.binlogPos} gtid={b.gtid} />
                  </Row>
                  <Row label="Stored at">
                    <span className="break-all font-mono text-xs">
                      {b.target.name}: {b.location}
                    </span>
                  </Row>
                  <Row label="Databases">{b.databases.join(", ")}</Row>
                </dl>
              </CardBody>
            </Card>
            <div className="space-y-6 lg:col-span-2">
              {b.chain && (
                <Card>
                  <CardHeader title="Chain" description="mariabackup full, incrementals and differentials: what a restore of this backup needs." />
                  <CardBody>
                    <ChainLinks chain={b.chain} currentId={b.id} />
                  </CardBody>
                </Card>
              )}
              {b.state === "complete" ? <ManifestCard id={b.id} /> : <Alert tone="warning">This backup was deleted; its objects are gone.</Alert>}
              <Card>
                <CardHeader title="Verifications" description="Proof by real restores." />
                <CardBody>
                  <QueryState query={verifications}>
                    {(list) =>
                      list.length === 0 ? (
                        <p className="text-sm text-slate-500">This backup has not been verified by a restore yet.</p>
                      ) : (
                        <div className="space-y-4">
                          {list.map((v) => (
                            <div key={v.id}>
                              <div className="mb-1 text-xs text-slate-500">
                                <VerificationResult result={v.result} /> {new Date(v.createdAt).toLocaleString()} · {formatDuration(v.durationMs)}
                              </div>
                              <VerificationChecks checks={v.checks} />
                            </div>
                          ))}
                        </div>
                      )
                    }
                  </QueryState>
                </CardBody>
              </Card>
            </div>
          </div>
          {b.state === "complete" && <RestoreDialog backup={b} open={restoring} onClose={() => setRestoring(false)} />}
        </>
      )}
    </QueryState>
  );
}
