"use client";
import type { RouterOutputs } from "@/lib/trpc";

export type IncidentRow = RouterOutputs["incidents"]["list"]["incidents"][number];

export const KIND_LABEL: Record<IncidentRow["kind"], string> = {
  drop_table: "DROP TABLE",
  drop_database: "DROP DATABASE",
  truncate_table: "TRUNCATE",
  rename_table: "RENAME",
  alter_table: "ALTER TABLE",
  mass_delete: "mass DELETE",
  mass_update: "mass UPDATE",
  large_transaction: "large transaction",
};

export function incidentWhat(i: IncidentRow): string {
  return i.kind === "drop_database" ? `database ${i.schema}` : i.tables.join(", ") || "?";
}

/** Incident markers on the PITR timeline (an overlay of PitrTimeline): a red triangle under the coverage band per incident. */
export function IncidentMarkers({ incidents, x, t0, t1, y, selected, onSelect }: { incidents: IncidentRow[]; x: (t: string) => number; t0: number; t1: number; y: number; selected: string | null; onSelect: (i: IncidentRow) => void }) {
  return (
    <g>
      {incidents.map((i) => {
        const t = new Date(i.at).getTime();
        if (t < t0 || t > t1) return null;
        const ix = x(i.at);
        const ddl = !i.kind.startsWith("mass_") && i.kind !== "large_transaction";
        return (
          <g
            key={i.id}
            data-testid="incident-marker"
            data-kind={i.kind}
            className="cursor-pointer"
            onClick={(e) => {
              e.stopPropagation();
              onSelect(i);
            }}
            onMouseMove={(e) => e.stopPropagation()}
          >
            <line x1={ix} x2={ix} y1={y - 30} y2={y} className="stroke-red-400" strokeWidth={1} />
            <path d={`M ${ix} ${y} l 7 12 l -14 0 z`} className={selected === i.id ? "fill-red-700 stroke-slate-900" : ddl ? "fill-red-500 stroke-white" : "fill-amber-500 stroke-white"} strokeWidth={1.5} />
            <title>{`${KIND_LABEL[i.kind]} ${incidentWhat(i)}\n${new Date(i.at).toLocaleString()}${i.gtid ? `\nGTID ${i.gtid}` : ""}\n${i.file}:${i.startPosition}${i.rows !== null ? `\n${i.rows} rows` : ""}`}</title>
          </g>
        );
      })}
    </g>
  );
}
