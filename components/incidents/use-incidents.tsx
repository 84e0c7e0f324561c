"use client";
import { useState } from "react";
import { useUser } from "@/components/shell/user-context";
import { trpc, type RouterOutputs } from "@/lib/trpc";
import { IncidentMarkers, type IncidentRow } from "./incident-markers";
import { emptySearch, IncidentPanel, type IncidentSearch } from "./incident-panel";
import { IncidentRestoreDialog } from "./incident-restore-dialog";
import { DmlUndoDialog, TableRestoreDialog } from "./table-recovery-dialogs";

type Host = RouterOutputs["hosts"]["get"];

const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/**
 * The incidents of a host's timeline: `overlay` draws their markers on PitrTimeline, `section`
 * renders the search box, the list, the chosen incident and its restore dialog.
 */
export function useIncidentTimeline(hostId: string) {
  const { can } = useUser();
  const [search, setSearch] = useState<IncidentSearch>(emptySearch);
  const [selected, setSelected] = useState<IncidentRow | null>(null);
  const [restore, setRestore] = useState<{ incident: IncidentRow; action: "before" | "skip" | "table" | "undo" } | null>(null);
  const q = trpc.incidents.list.useQuery(
    {
      hostId,
      schema: search.schema || undefined,
      table: search.table || undefined,
      kinds: search.kind ? [search.kind as IncidentRow["kind"]] : [],
      since: iso(search.since),
      until: iso(search.until),
    },
    { refetchInterval: 5000 },
  );
  const incidents = q.data?.incidents ?? [];
  const overlay = (x: (t: number | Date | string) => number, v: { t0: number; t1: number; bandY: number; bandH: number }) => (
    <IncidentMarkers incidents={incidents} x={x} t0={v.t0} t1={v.t1} y={v.bandY + v.bandH + 2} selected={selected?.id ?? null} onSelect={setSelected} />
  );
  const section = (host: Host) => (
    <>
      <IncidentPanel
        search={search}
        onSearch={setSearch}
        incidents={incidents}
        loading={q.isLoading}
        error={q.error?.message}
        coverage={q.data}
        selected={selected}
        onSelect={setSelected}
        onRestore={(incident, action) => setRestore({ incident, action })}
        canRestore={can("operator")}
      />
      {restore && (restore.action === "before" || restore.action === "skip") && <IncidentRestoreDialog host={host} incident={restore.incident} action={restore.action} onClose={() => setRestore(null)} />}
      {restore?.action === "table" && <TableRestoreDialog host={host} incident={restore.incident} onClose={() => setRestore(null)} />}
      {restore?.action === "undo" && <DmlUndoDialog host={host} incident={restore.incident} onClose={() => setRestore(null)} />}
    </>
  );
  return { overlay, section };
}
