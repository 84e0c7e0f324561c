import type mysql from "mysql2/promise";
import { queryRows } from "../../mysql/connect";
import { versionAtLeast, type Flavor } from "../../mysql/server-facts";

export type Coordinates = { file: string; position: number; gtid: string | null };

/**
 * The binlog position and GTID state right now; null when binary logging is off. Call it while
 * commits are blocked so the position matches the data exactly.
 */
export async function readCoordinates(c: mysql.Connection, flavor: Flavor, version: string): Promise<Coordinates | null> {
  const statusSql = flavor !== "mariadb" && versionAtLeast(version, "8.2.0") ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
  const rows = await queryRows<{ File: string; Position: number | string; Executed_Gtid_Set?: string }>(c, statusSql);
  const s = rows[0];
  if (!s?.File) return null;
  let gtid: string | null = null;
  if (flavor === "mariadb") {
    const [g] = await queryRows<{ g: string | null }>(c, "SELECT @@GLOBAL.gtid_binlog_pos AS g");
    gtid = g?.g || null;
  } else {
    gtid = (s.Executed_Gtid_Set ?? "").replace(/\s+/g, "") || null;
  }
  return { file: s.File, position: Number(s.Position), gtid };
}
