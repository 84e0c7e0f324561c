import type mysql from "mysql2/promise";
import { DomainError } from "../../errors";
import type { Flavor } from "../../mysql/server-facts";
import type { TableFilter } from "../types";
import { inList, textRows } from "./meta-query";
import { displayName } from "./sql-text";
import { columnKind, isIntegerType, keysetSafe, type DumpColumn } from "./value-encoder";

export const SYSTEM_SCHEMAS = ["mysql", "information_schema", "performance_schema", "sys"];

/** Engines whose rows are not theirs to dump: remote data, or none at all. */
const NO_DATA_ENGINES = new Set(["FEDERATED", "FEDERATEDX", "CONNECT", "SPIDER", "BLACKHOLE", "MRG_MYISAM", "MRG_MyISAM", "SEQUENCE"]);

/**
 * How a table is read:
 *   int-range  first key column is an integer: split into ranges of that column, dumped in parallel
 *   keyset     a key of comparable columns: pages of `chunkRows` in key order (WHERE key > last)
 *   ordered    a key that cannot be compared safely as a literal: one ordered scan
 *   scan       no usable key: one unordered scan (multiset fingerprint)
 */
export type KeyMode = "int-range" | "keyset" | "ordered" | "scan";

export type TableInfo = {
  db: string;
  name: string;
  kind: "table" | "sequence";
  engine: string | null;
  estRows: number;
  dataLength: number;
  avgRowLength: number;
  systemVersioned: boolean;
  /** every column, in table order */
  allColumns: DumpColumn[];
  /** the columns whose values are dumped (not generated) */
  columns: DumpColumn[];
  /** key used for order and chunking ([] when none) */
  key: string[];
  /** the index the key comes from (FORCE INDEX for a unique key that is not the primary key) */
  keyIndexName: string | null;
  keyMode: KeyMode;
  dumpData: boolean;
};

export type DatabaseInfo = {
  name: string;
  charset: string;
  collation: string;
  /** the whole database is dumped (routines and events come with it) */
  full: boolean;
  tables: TableInfo[];
  /** views with their column names (for the placeholders that let views be created in any order) */
  views: { name: string; columns: string[] }[];
  routines: { name: string; type: string }[];
  triggers: { name: string; table: string }[];
  events: string[];
};

function splitQualified(q: string, known: (db: string, t: string) => boolean): [string, string] | null {
  for (let i = q.indexOf("."); i >= 0; i = q.indexOf(".", i + 1)) {
    const db = q.slice(0, i);
    const t = q.slice(i + 1);
    if (known(db, t)) return [db, t];
  }
  return null;
}

/**
 * Reads what will be dumped: databases, tables, columns, keys, views, routines, triggers, events,
 * with the filter applied. Names in the filter that do not exist fail here, before anything runs.
 */
export async function readInventory(c: mysql.Connection, flavor: Flavor, filter: TableFilter, where: string): Promise<DatabaseInfo[]> {
  const schemata = await textRows(c, "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME");
  const dbMeta = new Map(schemata.map((r) => [r[0]!, { charset: r[1] ?? "", collation: r[2] ?? "" }]));
  const userDbs = [...dbMeta.keys()].filter((d) => !SYSTEM_SCHEMAS.includes(d.toLowerCase()));

  const missing: string[] = [];
  for (const d of [...(filter.databases ?? []), ...(filter.excludeDatabases ?? [])]) {
    if (SYSTEM_SCHEMAS.includes(d.toLowerCase()) && (filter.databases ?? []).includes(d))
      throw new DomainError("INVALID", `${displayName(d)} is a system schema and is not dumped as data; back up accounts and grants with "include users" instead.`, { field: "filter" });
    if (!dbMeta.has(d)) missing.push(displayName(d));
  }

  // every table-like object of the candidate databases
  const candidates = filter.databases?.length ? filter.databases.filter((d) => dbMeta.has(d)) : userDbs;
  const tableDbs = new Set(candidates);
  for (const q of [...(filter.tables ?? []), ...(filter.excludeTables ?? [])]) {
    for (const d of userDbs) if (q.startsWith(d + ".")) tableDbs.add(d);
  }
  const dbList = inList([...tableDbs]);
  const tableRows = await textRows(
    c,
    `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH, AVG_ROW_LENGTH
       FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${dbList.sql}) ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    dbList.params,
  );
  const objects = new Map<string, Set<string>>();
  for (const r of tableRows) {
    if (!objects.has(r[0]!)) objects.set(r[0]!, new Set());
    objects.get(r[0]!)!.add(r[1]!);
  }
  const known = (db: string, t: string) => !!objects.get(db)?.has(t);
  const includeTables = new Map<string, Set<string>>();
  for (const q of filter.tables ?? []) {
    const hit = splitQualified(q, known);
    if (!hit) missing.push(`\`${q}\``);
    else {
      if (!includeTables.has(hit[0])) includeTables.set(hit[0], new Set());
      includeTables.get(hit[0])!.add(hit[1]);
    }
  }
  const excludeTables = new Set<string>();
  for (const q of filter.excludeTables ?? []) {
    const hit = splitQualified(q, known);
    if (!hit) missing.push(`\`${q}\``);
    else excludeTables.add(`${hit[0]}\u0000${hit[1]}`);
  }
  if (missing.length)
    throw new DomainError("NOT_FOUND", `The backup filter names ${missing.length === 1 ? "something" : "things"} that ${where} does not have: ${missing.join(", ")}. Fix the names (they are case-sensitive) or remove them from the filter.`, { field: "filter" });

  let selected: { name: string; full: boolean }[];
  if (filter.tables?.length) {
    const dbs = new Set([...(filter.databases ?? []), ...includeTables.keys()]);
    selected = [...dbs].map((name) => ({ name, full: !includeTables.has(name) }));
  } else selected = candidates.map((name) => ({ name, full: true }));
  const excludedDbs = new Set(filter.excludeDatabases ?? []);
  selected = selected.filter((d) => !excludedDbs.has(d.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (!selected.length) return [];

  const names = selected.map((d) => d.name);
  const list = inList(names);
  const columns = await textRows(
    c,
    `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, IS_NULLABLE, EXTRA
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (${list.sql}) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
    list.params,
  );
  const stats = await textRows(
    c,
    `SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART, NULLABLE
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN (${list.sql}) ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    list.params,
  );
  const routines = await textRows(
    c,
    `SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (${list.sql}) ORDER BY ROUTINE_SCHEMA, ROUTINE_TYPE, ROUTINE_NAME`,
    list.params,
  );
  const triggers = await textRows(
    c,
    `SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (${list.sql})
      ORDER BY TRIGGER_SCHEMA, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    list.params,
  );
  const events = await textRows(c, `SELECT EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN (${list.sql}) ORDER BY EVENT_SCHEMA, EVENT_NAME`, list.params);

  const key = (db: string, t: string) => `${db}\u0000${t}`;
  const colsBy = new Map<string, DumpColumn[]>();
  const extraBy = new Map<string, string[]>();
  for (const r of columns) {
    const k = key(r[0]!, r[1]!);
    if (!colsBy.has(k)) {
      colsBy.set(k, []);
      extraBy.set(k, []);
    }
    colsBy.get(k)!.push({
      name: r[2]!,
      dataType: r[3]!,
      columnType: r[4]!,
      kind: columnKind(r[3]!, flavor),
      charset: r[5],
      collation: r[6],
      nullable: r[7] === "YES",
    });
    extraBy.get(k)!.push((r[8] ?? "").toUpperCase());
  }
  type Index = { name: string; unique: boolean; cols: string[]; prefix: boolean; nullable: boolean };
  const indexesBy = new Map<string, Map<string, Index>>();
  for (const r of stats) {
    const k = key(r[0]!, r[1]!);
    if (!indexesBy.has(k)) indexesBy.set(k, new Map());
    const m = indexesBy.get(k)!;
    if (!m.has(r[2]!)) m.set(r[2]!, { name: r[2]!, unique: r[3] === "0", cols: [], prefix: false, nullable: false });
    const ix = m.get(r[2]!)!;
    ix.cols.push(r[4]!);
    if (r[5] !== null) ix.prefix = true;
    if (r[6] === "YES") ix.nullable = true;
  }

  const out: DatabaseInfo[] = [];
  for (const sel of selected) {
    const meta = dbMeta.get(sel.name)!;
    const only = includeTables.get(sel.name);
    const wanted = (t: string) => (!only || only.has(t)) && !excludeTables.has(key(sel.name, t));
    const db: DatabaseInfo = { name: sel.name, charset: meta.charset, collation: meta.collation, full: sel.full && !excludedAny(sel.name, excludeTables), tables: [], views: [], routines: [], triggers: [], events: [] };
    for (const r of tableRows) {
      if (r[0] !== sel.name || !wanted(r[1]!)) continue;
      const type = r[2]!;
      if (type === "VIEW") {
        db.views.push({ name: r[1]!, columns: (colsBy.get(key(sel.name, r[1]!)) ?? []).map((c) => c.name) });
        continue;
      }
      if (type === "TEMPORARY") continue;
      const k = key(sel.name, r[1]!);
      const all = colsBy.get(k) ?? [];
      const extras = extraBy.get(k) ?? [];
      // DEFAULT_GENERATED (MySQL 8 expression defaults) is an ordinary column
      const dumpCols = all.filter((_, i) => !/(VIRTUAL|STORED|PERSISTENT) GENERATED|ROW START|ROW END/.test(extras[i]!));
      const isSeq = type === "SEQUENCE";
      const engine = r[3];
      const chosen = chooseKey(indexesBy.get(k), dumpCols);
      db.tables.push({
        db: sel.name,
        name: r[1]!,
        kind: isSeq ? "sequence" : "table",
        engine,
        estRows: Number(r[4] ?? 0),
        dataLength: Number(r[5] ?? 0),
        avgRowLength: Number(r[6] ?? 0),
        systemVersioned: type === "SYSTEM VERSIONED",
        allColumns: all,
        columns: dumpCols,
        key: chosen.cols,
        keyIndexName: chosen.index && chosen.index !== "PRIMARY" ? chosen.index : null,
        keyMode: chosen.mode,
        dumpData: !isSeq && !NO_DATA_ENGINES.has((engine ?? "").toUpperCase()),
      });
    }
    const tableSet = new Set(db.tables.map((t) => t.name));
    for (const r of triggers) if (r[0] === sel.name && tableSet.has(r[2]!)) db.triggers.push({ name: r[1]!, table: r[2]! });
    if (db.full) {
      // packages before their bodies; the rest in name order (routine bodies are not checked at CREATE)
      const order = ["PACKAGE", "PACKAGE BODY", "FUNCTION", "PROCEDURE"];
      db.routines = routines.filter((r) => r[0] === sel.name).map((r) => ({ name: r[1]!, type: r[2]! })).sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
      db.events = events.filter((r) => r[0] === sel.name).map((r) => r[1]!);
    }
    out.push(db);
  }
  return out;
}

function excludedAny(db: string, excluded: Set<string>) {
  for (const k of excluded) if (k.startsWith(db + "\u0000")) return true;
  return false;
}

/** The primary key, else the best unique key over NOT NULL dumped columns (integer first preferred). */
function chooseKey(indexes: Map<string, { name: string; unique: boolean; cols: string[]; prefix: boolean; nullable: boolean }> | undefined, dumped: DumpColumn[]): { cols: string[]; mode: KeyMode; index?: string } {
  const byName = new Map(dumped.map((c) => [c.name, c]));
  const usable = [...(indexes?.values() ?? [])].filter((ix) => ix.unique && !ix.nullable && ix.cols.every((c) => byName.has(c) && !byName.get(c)!.nullable));
  if (!usable.length) return { cols: [], mode: "scan" };
  const score = (ix: (typeof usable)[number]) => (ix.name === "PRIMARY" ? 0 : 100) + (isIntegerType(byName.get(ix.cols[0]!)!.dataType) ? 0 : 10) + (ix.prefix ? 50 : 0) + ix.cols.length;
  usable.sort((a, b) => score(a) - score(b) || (a.name < b.name ? -1 : 1));
  const best = usable[0]!;
  const cols = best.cols.map((c) => byName.get(c)!);
  const index = best.name;
  // a prefix index cannot give the full columns' order: let the server sort
  if (best.prefix) return { cols: best.cols, mode: "ordered" };
  if (isIntegerType(cols[0]!.dataType)) return { cols: best.cols, mode: "int-range", index };
  if (cols.every(keysetSafe)) return { cols: best.cols, mode: "keyset", index };
  return { cols: best.cols, mode: "ordered", index };
}
