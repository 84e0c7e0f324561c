import type { ManifestDatabase } from "../../artifact/manifest";
import type { DatabaseInfo } from "./inventory";
import type { TableJob } from "./table-job";

/** manifest.databases from the inventory and the finished table jobs. */
export function manifestDatabases(dbs: DatabaseInfo[], jobs: TableJob[]): ManifestDatabase[] {
  const byKey = new Map(jobs.map((j) => [`${j.info.db}\u0000${j.info.name}`, j]));
  return dbs.map((d) => ({
    name: d.name,
    charset: d.charset,
    collation: d.collation,
    tables: d.tables.map((t) => {
      const j = byKey.get(`${d.name}\u0000${t.name}`);
      return {
        name: t.name,
        kind: t.kind,
        engine: t.engine,
        rows: j?.rows ?? 0,
        rawBytes: j?.bytes ?? 0,
        fingerprint: j?.fingerprint ?? null,
        columns: t.kind === "table" ? t.columns.map((c) => c.name) : [],
        key: t.key,
      };
    }),
    views: d.views.map((v) => v.name),
    routines: d.routines.map((r) => ({ name: r.name, type: r.type })),
    triggers: d.triggers.map((t) => t.name),
    events: d.events,
  }));
}
