"use client";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { Loading } from "@/components/ui/spinner";
import { KIND_LABEL, incidentWhat, type IncidentRow } from "./incident-markers";

export type IncidentSearch = { schema: string; table: string; kind: string; since: string; until: string };
export const emptySearch: IncidentSearch = { schema: "", table: "", kind: "", since: "", until: "" };

/** The incidents' search box and list; the chosen one with who/what/when and the two restore actions. */
export function IncidentPanel({
  search,
  onSearch,
  incidents,
  loading,
  error,
  coverage,
  selected,
  onSelect,
  onRestore,
  canRestore,
}: {
  search: IncidentSearch;
  onSearch: (s: IncidentSearch) => void;
  incidents: IncidentRow[];
  loading: boolean;
  error?: string;
  coverage?: { segments: number; indexedSegments: number; unreadableSegments: number };
  selected: IncidentRow | null;
  onSelect: (i: IncidentRow) => void;
  onRestore: (i: IncidentRow, action: "before" | "skip" | "table" | "undo") => void;
  canRestore: boolean;
}) {
  const [draft, setDraft] = useState(search);
  const set = (k: keyof IncidentSearch) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setDraft({ ...draft, [k]: e.target.value });
  return (
    <Card>
      <CardHeader
        title="Incidents in the archived binlogs"
        description="DROP, TRUNCATE, RENAME and ALTER of tables and databases, DELETE/UPDATE of many rows, large transactions: indexed as binlogs are archived. Pick one to restore to just before it, or to everything but it."
      />
      <CardBody className="space-y-4">
        <form
          className="grid grid-cols-2 gap-3 md:grid-cols-6"
          role="search"
          aria-label="Search incidents"
          onSubmit={(e) => {
            e.preventDefault();
            onSearch(draft);
          }}
        >
          <Field label="Schema" htmlFor="inc-schema">
            <Input id="inc-schema" value={draft.schema} onChange={set("schema")} placeholder="shop" />
          </Field>
          <Field label="Table" htmlFor="inc-table">
            <Input id="inc-table" value={draft.table} onChange={set("table")} placeholder="shop.orders" />
          </Field>
          <Field label="Kind" htmlFor="inc-kind">
            <Select id="inc-kind" value={draft.kind} onChange={set("kind")}>
              <option value="">any</option>
              {Object.entries(KIND_LABEL).map(([k, l]) => (
                <option key={k} value={k}>
                  {l}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="From" htmlFor="inc-since">
            <Input id="inc-since" type="datetime-local" step={1} value={draft.since} onChange={set("since")} />
          </Field>
          <Field label="To" htmlFor="inc-until">
            <Input id="inc-until" type="datetime-local" step={1} value={draft.until} onChange={set("until")} />
          </Field>
          <div className="flex items-end">
            <Button type="submit" variant="secondary">
              Search
            </Button>
          </div>
        </form>
        {coverage && coverage.indexedSegments < coverage.segments && (
          <p className="text-xs text-amber-700">
            {coverage.segments - coverage.indexedSegments} archived segment(s) are not indexed yet{coverage.unreadableSegments ? `, ${coverage.unreadableSegments} could not be read` : ""}.
          </p>
        )}
        {error && <p className="text-sm text-red-700">{error}</p>}
        {loading ? (
          <Loading label="Searching…" />
        ) : incidents.length === 0 ? (
          <p className="text-sm text-slate-500">No incident matches.</p>
        ) : (
          <ul className="divide-y divide-slate-100 text-sm" data-testid="incident-list">
            {incidents.map((i) => (
              <li key={i.id}>
                <button type="button" className={`w-full px-2 py-1.5 text-left hover:bg-slate-50 ${selected?.id === i.id ? "bg-red-50" : ""}`} onClick={() => onSelect(i)} data-testid="incident-row">
                  <span className="mr-2 text-slate-500">{new Date(i.at).toLocaleString()}</span>
                  <Badge tone={i.kind.startsWith("mass_") || i.kind === "large_transaction" ? "amber" : "red"}>{KIND_LABEL[i.kind]}</Badge> <span className="font-mono">{incidentWhat(i)}</span>
                  {i.rows !== null && <span className="ml-2 text-slate-600">{i.rows.toLocaleString()} rows</span>}
                </button>
              </li>
            ))}
          </ul>
        )}
        {selected && (
          <div className="rounded-md p-3 ring-1 ring-inset ring-red-200" data-testid="incident-detail">
            <div className="mb-2 font-medium">
              {KIND_LABEL[selected.kind]} <span className="font-mono">{incidentWhat(selected)}</span> at {new Date(selected.at).toLocaleString()}
            </div>
            <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 text-xs">
              <dt className="text-slate-500">GTID</dt>
              <dd className="font-mono">{selected.gtid ?? "—"}</dd>
              <dt className="text-slate-500">Binlog</dt>
              <dd className="font-mono">
                {selected.file}:{selected.startPosition} – {selected.endPosition}
              </dd>
              <dt className="text-slate-500">Thread / server</dt>
              <dd>
                {selected.threadId ?? "not in the binlog"} / {selected.serverId ?? "?"}
              </dd>
              {selected.rows !== null && (
                <>
                  <dt className="text-slate-500">Rows</dt>
                  <dd>{selected.rows.toLocaleString()}</dd>
                </>
              )}
              <dt className="text-slate-500">Statement</dt>
              <dd className="whitespace-pre-wrap break-all font-mono">{selected.statement ?? "not logged (binlog_annotate_row_events off)"}</dd>
            </dl>
            {canRestore && (
              <div className="mt-3 flex flex-wrap gap-2">
                <Button onClick={() => onRestore(selected, "before")}>Restore to just before this</Button>
                <Button variant="secondary" disabled={!selected.gtid} onClick={() => onRestore(selected, "skip")} title={selected.gtid ? undefined : "No GTID: the transaction cannot be told apart"}>
                  Restore skipping only this transaction
                </Button>
                {selected.tables.length > 0 && (
                  <Button variant="secondary" onClick={() => onRestore(selected, "table")}>
                    Restore the table(s) to just before…
                  </Button>
                )}
                {(selected.kind === "mass_delete" || selected.kind === "mass_update") && (
                  <Button variant="secondary" onClick={() => onRestore(selected, "undo")}>
                    Undo these rows…
                  </Button>
                )}
              </div>
            )}
          </div>
        )}
      </CardBody>
    </Card>
  );
}
