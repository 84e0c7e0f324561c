import type { BinlogEvent } from "../binlog/binlog-event";
import type { FormatDescription } from "../binlog/decode-format-description";
import { postHeaderLength } from "../binlog/decode-format-description";
import { verifyEventChecksum } from "../binlog/checksum";
import { CHECKSUM_LENGTH, EventType, HEADER_LENGTH, ROWS_EVENT_TYPES } from "../binlog/event-types";
import { parseDdl, type DdlKind } from "./parse-ddl";
import { countRows, parseTableMap, type TableShape } from "./row-images";

export type IncidentKind = DdlKind | "mass_delete" | "mass_update" | "large_transaction";
export const INCIDENT_KINDS: readonly IncidentKind[] = ["drop_table", "drop_database", "truncate_table", "rename_table", "alter_table", "mass_delete", "mass_update", "large_transaction"];

/** Something in a binlog a DBA may want to find and undo. */
export type Incident = {
  kind: IncidentKind;
  /** the transaction (or standalone statement) it is part of */
  gtid: string | null;
  file: string;
  /** first event of its transaction (its GTID or BEGIN): "restore to just before" stops here */
  startPosition: number;
  /** after its transaction's commit */
  endPosition: number;
  /** the statement's own event (QUERY, or the first rows event of the table) */
  eventPosition: number;
  /** commit time (seconds precision, as the binlog has it) */
  at: Date;
  /** "db.table" names; a DROP DATABASE has none and sets database */
  tables: string[];
  database: string | null;
  /** statement text (truncated): the DDL itself, or the DML as binlog_annotate_row_events logged it */
  statement: string | null;
  /** rows changed (mass_delete / mass_update: of that table; large_transaction: all) */
  rows: number | null;
  /** bytes of the transaction's events */
  bytes: number;
  threadId: number | null;
  serverId: number;
};

export type ScanOptions = {
  /** a DELETE or UPDATE changing more rows than this in one transaction, on one table, is an incident (default 10,000) */
  rowThreshold?: number;
  /** a transaction larger than this (bytes) is an incident (default 64 MiB) */
  transactionBytes?: number;
  /** the binlog file name (events of archived segments carry it; plain streams may not) */
  fileName?: string;
};

export const DEFAULT_ROW_THRESHOLD = 10_000;
export const DEFAULT_TRANSACTION_BYTES = 64 * 1024 * 1024;
const MAX_STATEMENT = 2000;

type Counter = { rows: number; eventPosition: number; statement: string | null };
type Open = {
  gtid: string | null;
  startPosition: number;
  bytes: number;
  threadId: number | null;
  /** "delete db.t" / "update db.t" -> rows */
  dml: Map<string, Counter>;
  ddl: { kind: DdlKind; tables: string[]; database: string | null; statement: string; eventPosition: number; threadId: number }[];
  tables: Set<string>;
  totalRows: number;
  begun: boolean;
  standalone: boolean;
};

const clip = (s: string) => (s.length > MAX_STATEMENT ? `${s.slice(0, MAX_STATEMENT)}…` : s);

/**
 * Reads binlog events once and yields the incidents in them, in binlog order, each when its
 * transaction commits. Memory holds one transaction's counters (not its events): the table maps
 * of the open transaction and one counter per table it changed.
 */
export async function* scanIncidents(events: AsyncIterable<BinlogEvent>, opts: ScanOptions = {}): AsyncGenerator<Incident> {
  const threshold = opts.rowThreshold ?? DEFAULT_ROW_THRESHOLD;
  const bigTrx = opts.transactionBytes ?? DEFAULT_TRANSACTION_BYTES;
  let fde: FormatDescription | null = null;
  let checksum: boolean | null = null;
  const maps = new Map<number, TableShape>();
  let cur: Open | null = null;
  let annotate: string | null = null;

  const open = (ev: BinlogEvent, gtid: string | null, begun: boolean, standalone: boolean): Open => ({
    gtid,
    startPosition: ev.position,
    bytes: 0,
    threadId: null,
    dml: new Map(),
    ddl: [],
    tables: new Set(),
    totalRows: 0,
    begun,
    standalone,
  });

  function* finish(t: Open, ev: BinlogEvent): Generator<Incident> {
    const file = ev.file ?? opts.fileName ?? "";
    const base = { gtid: t.gtid, file, startPosition: t.startPosition, endPosition: ev.endPosition, at: new Date(ev.header.timestamp * 1000), bytes: t.bytes, serverId: ev.header.serverId };
    for (const d of t.ddl) {
      yield { ...base, kind: d.kind, eventPosition: d.eventPosition, tables: d.tables, database: d.database ?? d.tables[0]?.split(".")[0] ?? null, statement: clip(d.statement), rows: null, threadId: d.threadId };
    }
    for (const [key, c] of t.dml) {
      if (c.rows <= threshold) continue;
      const [op, name] = [key.slice(0, 6), key.slice(7)];
      yield { ...base, kind: op === "delete" ? "mass_delete" : "mass_update", eventPosition: c.eventPosition, tables: [name], database: name.split(".")[0] ?? null, statement: c.statement ? clip(c.statement) : null, rows: c.rows, threadId: t.threadId };
    }
    if (t.bytes > bigTrx) {
      const tables = [...t.tables];
      yield { ...base, kind: "large_transaction", eventPosition: t.startPosition, tables, database: tables[0]?.split(".")[0] ?? null, statement: t.ddl[0]?.statement ?? null, rows: t.totalRows, threadId: t.threadId };
    }
  }

  for await (const ev of events) {
    const type = ev.header.type;
    if (type === EventType.FORMAT_DESCRIPTION) {
      if (ev.details?.kind === "format_description") {
        fde = ev.details;
        checksum = fde.checksum === "crc32";
      }
      continue;
    }
    if (checksum === null) checksum = ev.raw.length >= HEADER_LENGTH + CHECKSUM_LENGTH && verifyEventChecksum(ev.raw).ok;
    const bodyEnd = ev.raw.length - (checksum ? CHECKSUM_LENGTH : 0);
    if (cur) cur.bytes += ev.raw.length;
    const d = ev.details;

    if (type === EventType.MARIADB_GTID && d?.kind === "mariadb_gtid") {
      cur = open(ev, `${d.domain}-${d.server}-${d.seq}`, !d.standalone, d.standalone);
      cur.bytes = ev.raw.length;
      maps.clear();
      continue;
    }
    if ((type === EventType.MYSQL_GTID || type === EventType.MYSQL_ANONYMOUS_GTID) && d?.kind === "mysql_gtid") {
      cur = open(ev, d.anonymous ? null : d.gtid, false, false);
      cur.bytes = ev.raw.length;
      maps.clear();
      continue;
    }
    if (type === EventType.QUERY && d?.kind === "query") {
      const sql = d.sql.trim();
      if (/^(BEGIN|XA\s+START\b)/i.test(sql)) {
        if (!cur) {
          cur = open(ev, null, true, false);
          cur.bytes = ev.raw.length;
          maps.clear();
        }
        cur.begun = true;
        cur.threadId = d.threadId;
        continue;
      }
      if (/^(COMMIT|ROLLBACK)$/i.test(sql) && cur?.begun) {
        if (/^COMMIT$/i.test(sql)) yield* finish(cur, ev);
        cur = null;
        continue;
      }
      const ddl = parseDdl(d.sql, d.database);
      const t: Open = cur ?? open(ev, null, false, true);
      if (!cur) t.bytes = ev.raw.length;
      t.threadId ??= d.threadId;
      if (ddl && d.errorCode === 0) {
        t.ddl.push({ ...ddl, database: ddl.database ?? null, statement: d.sql, eventPosition: ev.position, threadId: d.threadId });
        for (const n of ddl.tables) t.tables.add(n);
      }
      if (!t.begun || t.standalone) {
        yield* finish(t, ev);
        cur = null;
      } else cur = t;
      continue;
    }
    if (!cur) continue;
    if (type === EventType.ANNOTATE_ROWS && d?.kind === "annotate_rows") {
      annotate = d.sql;
      continue;
    }
    if (type === EventType.TABLE_MAP) {
      try {
        const m = parseTableMap(ev.raw, bodyEnd, HEADER_LENGTH, postHeaderLength(fde, type, 8));
        maps.set(m.tableId, m);
      } catch {
        // an unreadable table map: its rows are not counted
      }
      continue;
    }
    if (ROWS_EVENT_TYPES.has(type) && d?.kind === "rows") {
      const shape = maps.get(d.tableId);
      if (!shape) continue;
      const name = `${shape.database}.${shape.table}`;
      cur.tables.add(name);
      let n = 0;
      if (!d.compressed) {
        try {
          n = countRows(ev.raw, bodyEnd, HEADER_LENGTH, postHeaderLength(fde, type, d.version === 2 ? 10 : 8), type, shape);
        } catch {
          n = 0;
        }
      }
      cur.totalRows += n;
      if (d.operation !== "write") {
        const key = `${d.operation} ${name}`;
        const c = cur.dml.get(key) ?? { rows: 0, eventPosition: ev.position, statement: annotate };
        c.rows += n;
        c.statement ??= annotate;
        cur.dml.set(key, c);
      }
      if (d.stmtEnd) annotate = null;
      continue;
    }
    if (type === EventType.XID) {
      yield* finish(cur, ev);
      cur = null;
      maps.clear();
    }
  }
}

/** The incidents of a stream, filtered as `binlog-events` and the search box filter them. */
export type IncidentFilter = { tables?: string[]; database?: string; kinds?: IncidentKind[]; since?: Date; until?: Date };

export function matchesFilter(i: Incident, f: IncidentFilter): boolean {
  if (f.kinds?.length && !f.kinds.includes(i.kind)) return false;
  if (f.since && i.at.getTime() < f.since.getTime()) return false;
  if (f.until && i.at.getTime() > f.until.getTime()) return false;
  if (f.database && i.database !== f.database && !i.tables.some((t) => t.startsWith(`${f.database}.`))) return false;
  if (f.tables?.length && !i.tables.some((t) => f.tables!.includes(t)) && !(i.kind === "drop_database" && f.tables.some((t) => t.startsWith(`${i.database}.`)))) return false;
  return true;
}
