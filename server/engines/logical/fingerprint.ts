import type mysql from "mysql2/promise";
import { promiseOf } from "../../mysql/mysql2-internals";
import type { ManifestDatabase, TableFingerprint } from "../../artifact/manifest";
import { DomainError } from "../../errors";
import { detectFlavor } from "../../mysql/introspect";
import { combineSegments, MultisetSum, SegmentDigests, Segmenter, segmentWidth } from "./fingerprint-state";
import { insertHeader, InsertWriter, type RowFingerprint } from "./insert-writer";
import { textRows } from "./meta-query";
import { streamRows } from "./row-stream";
import { displayName } from "./sql-text";
import { TableReader } from "./table-job";
import { columnKind, isIntegerType, type DumpColumn } from "./value-encoder";

type ManifestTable = ManifestDatabase["tables"][number];

/**
 * Recomputes a table's fingerprint on a live server (a restored copy, or the source) the way the
 * dump computed it, from the manifest's column list and key alone. Equal fingerprints mean equal
 * rows, byte for byte as the dump encodes them. The session's character set, time zone and sql_mode
 * are set for the reading and put back afterwards.
 */
export async function fingerprintTable(conn: mysql.Connection, database: string, table: string, t: ManifestTable): Promise<TableFingerprint> {
  const c = promiseOf(conn);
  const [saved] = await c.query("SELECT @@session.character_set_client, @@session.character_set_results, @@session.collation_connection, @@session.time_zone, @@session.sql_mode");
  const prev = Object.values((saved as Record<string, string | null>[])[0]!);
  // only the results become binary: statements keep the connection's character set (mysql2 may
  // follow character_set_client changes and would then encode our statements differently)
  await c.query("SET SESSION character_set_results = binary, time_zone = '+00:00', sql_mode = ''");
  try {
    const [vrow] = await textRows(c, "SELECT VERSION(), @@version_comment");
    const flavor = detectFlavor(vrow![0] ?? "", vrow![1] ?? "");
    const rows = await textRows(
      c,
      "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
      [database, table],
    );
    if (!rows.length) throw new DomainError("NOT_FOUND", `Table ${displayName(database, table)} does not exist; it cannot be fingerprinted.`);
    const byName = new Map(rows.map((r) => [r[0]!, r]));
    const columns: DumpColumn[] = t.columns.map((name) => {
      const r = byName.get(name);
      if (!r) throw new DomainError("INVALID", `Column ${name} of ${displayName(database, table)} is missing: the table's definition differs from the backup's.`);
      return { name, dataType: r[1]!, columnType: r[2]!, kind: columnKind(r[1]!, flavor), charset: r[3], collation: r[4], nullable: r[5] === "YES" };
    });
    const keyed = t.key.length > 0 && t.fingerprint?.method !== "multiset-sha256";
    const reader = new TableReader({ db: database, name: table, columns, key: keyed ? t.key : [], keyMode: keyed ? "ordered" : "scan" });
    let fp: RowFingerprint;
    const digests = new SegmentDigests();
    const sum = new MultisetSum();
    if (!keyed) fp = { kind: "multiset", sum };
    else if (isIntegerType(reader.keyCols[0]!.dataType)) {
      const mm = await reader.minMax(c);
      fp = { kind: "pk", digests, segmenter: mm ? new Segmenter(segmentWidth(mm[0], mm[1])) : null, keyIndex: reader.keyIdx[0]! };
    } else fp = { kind: "pk", digests, segmenter: null, keyIndex: -1 };
    const writer = new InsertWriter(insertHeader(table, columns), columns.map((x) => x.kind), 1 << 20, fp, () => true);
    await streamRows(c, reader.select(""), writer, async () => undefined);
    writer.flush();
    if (!keyed) return { method: "multiset-sha256", rows: writer.rows, hash: sum.hex() };
    digests.cut();
    return { method: "pk-sha256", rows: writer.rows, hash: combineSegments(digests.digests) };
  } finally {
    await c.query("SET character_set_results = ?, time_zone = ?, sql_mode = ?", [prev[1], prev[3], prev[4]]).catch(() => undefined);
  }
}
