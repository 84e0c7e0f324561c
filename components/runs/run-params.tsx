/** A run's parameters as a readable list: names instead of ids, words instead of JSON. */

const LABELS: Record<string, string> = {
  hostId: "Host",
  targetHostId: "Restore into",
  sourceHostId: "Source host",
  targetId: "Storage target",
  backupId: "Backup",
  engine: "Engine",
  databases: "Databases",
  excludeTables: "Excluded tables",
  compression: "Compression",
  level: "Compression level",
  encryptionKeyId: "Encryption key",
  parallel: "Parallel connections",
  includeUsers: "Users and grants",
  dropExisting: "Drop existing databases",
  rename: "Renamed databases",
  time: "Point in time",
};

const ALL_WHEN_EMPTY = new Set(["databases"]);
const HIDDEN = new Set(["confirm"]);

function humanize(key: string) {
  return key.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase());
}

function valueText(key: string, v: unknown, names: Record<string, string>): string | null {
  if (v === undefined || v === null || v === "") return key === "encryptionKeyId" ? "none" : null;
  if (typeof v === "string") return names[v] ?? v;
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return v.length ? v.map(String).join(", ") : ALL_WHEN_EMPTY.has(key) ? "all user databases" : null;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>);
    return entries.length ? entries.map(([k, x]) => `${k} → ${typeof x === "object" ? JSON.stringify(x) : String(x)}`).join(", ") : null;
  }
  return String(v);
}

export function RunParams({ params, names }: { params: Record<string, unknown>; names: Record<string, string> }) {
  const rows = Object.entries(params)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => ({ k, label: LABELS[k] ?? humanize(k), text: valueText(k, v, names) }))
    .filter((r): r is { k: string; label: string; text: string } => r.text !== null);
  if (rows.length === 0) return <p className="text-sm text-slate-500">No parameters.</p>;
  return (
    <dl className="divide-y divide-slate-100 text-sm" data-testid="run-params">
      {rows.map((r) => (
        <div key={r.k} className="grid grid-cols-5 gap-2 py-1.5">
          <dt className="col-span-2 text-slate-500">{r.label}</dt>
          <dd className="col-span-3 break-words text-slate-900" title={typeof params[r.k] === "string" && names[params[r.k] as string] ? `id ${params[r.k]}` : undefined}>
            {r.text}
          </dd>
        </div>
      ))}
    </dl>
  );
}
