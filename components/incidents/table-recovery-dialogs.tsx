"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import { Loading } from "@/components/ui/spinner";
import { useUser } from "@/components/shell/user-context";
import { formErrors } from "@/lib/errors";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { KIND_LABEL, incidentWhat, type IncidentRow } from "./incident-markers";

type Host = RouterOutputs["hosts"]["get"];

/** Restore the incident's table(s) to just before it, next to the live ones, compared with them. */
export function TableRestoreDialog({ host, incident, onClose }: { host: Host; incident: IncidentRow; onClose: () => void }) {
  const router = useRouter();
  const [tables, setTables] = useState(incident.tables.join(", "));
  const [suffix, setSuffix] = useState("_restored");
  const start = trpc.incidents.tableRestore.useMutation({ onSuccess: (run) => router.push(`/runs/${run.id}`) });
  const { message, fields } = formErrors(start.error);
  const list = tables.split(",").map((t) => t.trim()).filter(Boolean);
  return (
    <Dialog
      open
      onClose={onClose}
      title="Restore tables to just before this incident"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={start.isPending} disabled={!list.length} onClick={() => start.mutate({ hostId: host.id, tables: list, untilPosition: `${incident.file}:${incident.startPosition}`, suffix })}>
            Restore the tables
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        {message && <Alert tone="error">{message}</Alert>}
        <p className="text-sm">
          The tables are restored as they were just before the {KIND_LABEL[incident.kind]} of <span className="font-mono">{incidentWhat(incident)}</span> (stop at <span className="font-mono">{incident.file}:{incident.startPosition}</span>), next to the live ones under new names, then compared row by row; the run offers the SQL that would repair the live tables.
        </p>
        <Field label="Tables (database.table, comma separated, one database)" htmlFor="tr-tables" error={fields.tables}>
          <Input id="tr-tables" className="font-mono" value={tables} onChange={(e) => setTables(e.target.value)} />
        </Field>
        <Field label="New name suffix" htmlFor="tr-suffix" error={fields.suffix} hint={`${list[0] ?? "db.table"} is restored as ${list[0] ?? "db.table"}${suffix}.`}>
          <Input id="tr-suffix" className="font-mono" value={suffix} onChange={(e) => setSuffix(e.target.value)} />
        </Field>
      </div>
    </Dialog>
  );
}

type Plan = { transactions: number; rows: { inserted: number; updated: number; deleted: number }; sample: { gtid: string | null; at: string; statement: string | null; rows: number }[]; sharedTransactions: number };

/** Undo of a time range of one table's row changes: a preview run first, then the undo (production: admin and the typed host name). */
export function DmlUndoDialog({ host, incident, onClose }: { host: Host; incident: IncidentRow; onClose: () => void }) {
  const router = useRouter();
  const { can } = useUser();
  const sec = new Date(incident.at).toISOString();
  const [table, setTable] = useState(incident.table ?? "");
  const [since, setSince] = useState(sec);
  const [until, setUntil] = useState(sec);
  const [confirm, setConfirm] = useState("");
  const [previewRun, setPreviewRun] = useState<string | null>(null);
  const production = host.environment === "production";
  const preview = trpc.incidents.undo.useMutation({ onSuccess: (run) => setPreviewRun(run.id) });
  const apply = trpc.incidents.undo.useMutation({ onSuccess: (run) => router.push(`/runs/${run.id}`) });
  const run = trpc.runs.get.useQuery({ id: previewRun ?? "" }, { enabled: !!previewRun, refetchInterval: (q) => (q.state.data && ["succeeded", "failed", "cancelled"].includes(q.state.data.state) ? false : 1000) });
  const plan = run.data?.state === "succeeded" ? ((run.data.result as { plan?: Plan } | null)?.plan ?? null) : null;
  const { message, fields } = formErrors(apply.error ?? preview.error);
  const input = { hostId: host.id, table, since, until };
  return (
    <Dialog
      open
      onClose={onClose}
      wide
      title="Undo these rows (inverse row events, no restore)"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="secondary" loading={preview.isPending || (!!previewRun && !run.data?.finishedAt)} onClick={() => preview.mutate({ ...input, mode: "preview" })}>
            Preview
          </Button>
          <Button variant="danger" disabled={!plan || (production && (!can("admin") || confirm !== host.name))} loading={apply.isPending} onClick={() => apply.mutate({ ...input, mode: "apply", confirm: production ? confirm : undefined })}>
            Undo on {host.name}
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        {message && <Alert tone="error">{message}</Alert>}
        <div className="grid grid-cols-3 gap-3">
          <Field label="Table" htmlFor="undo-table" error={fields.table}>
            <Input id="undo-table" className="font-mono" value={table} onChange={(e) => setTable(e.target.value)} />
          </Field>
          <Field label="From (UTC, ISO 8601)" htmlFor="undo-since" error={fields.since}>
            <Input id="undo-since" className="font-mono" value={since} onChange={(e) => setSince(e.target.value)} />
          </Field>
          <Field label="To (UTC, ISO 8601)" htmlFor="undo-until" error={fields.until}>
            <Input id="undo-until" className="font-mono" value={until} onChange={(e) => setUntil(e.target.value)} />
          </Field>
        </div>
        <div className="rounded-md bg-slate-50 p-3 text-sm ring-1 ring-inset ring-slate-200" data-testid="undo-preview">
          {!previewRun ? (
            <p className="text-slate-500">Preview first: it reads the archive and the table's triggers and foreign keys, and changes nothing.</p>
          ) : !run.data || !run.data.finishedAt ? (
            <Loading label="Reading the archive…" />
          ) : run.data.state !== "succeeded" ? (
            <p className="text-red-700">{run.data.error}</p>
          ) : plan ? (
            <div className="space-y-1">
              <p>
                {plan.transactions} transaction(s): delete {plan.rows.inserted} inserted row(s), write back {plan.rows.deleted} deleted, set back {plan.rows.updated} updated.
                {plan.sharedTransactions > 0 && ` ${plan.sharedTransactions} of them changed other tables too; those changes stay.`}
              </p>
              <ul className="list-disc pl-5 text-xs text-slate-600">
                {plan.sample.map((s, i) => (
                  <li key={i}>
                    {s.at} {s.gtid && <span className="font-mono">{s.gtid}</span>}: {s.rows} row(s) {s.statement && <span className="font-mono">{s.statement.slice(0, 120)}</span>}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </div>
        {production && (
          <Alert tone="error" title={`${host.name} is a production host`}>
            {can("admin") ? (
              <>
                Type <strong>{host.name}</strong> to confirm the undo.
                <Input aria-label="Type the host name to confirm" className="mt-2" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
              </>
            ) : (
              "Undoing rows on a production host needs an admin."
            )}
          </Alert>
        )}
      </div>
    </Dialog>
  );
}
