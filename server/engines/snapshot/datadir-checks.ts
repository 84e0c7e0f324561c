import path from "node:path";
import type mysql from "mysql2/promise";
import { DomainError } from "../../errors";
import { queryRows } from "../../mysql/connect";
import { relativeInside } from "./backend";

export type DatadirLayout = { outside: string[]; binlogOutside: string | null };

/**
 * A physical archive of the datadir is only a whole server when InnoDB keeps its system
 * tablespace, redo and undo logs inside it. Those living elsewhere make the copy unusable, so it
 * is refused up front; binlogs elsewhere are only reported (restores do not need them).
 */
export async function checkDatadirLayout(c: mysql.Connection, datadir: string, host: string): Promise<DatadirLayout> {
  const names = ["innodb_data_home_dir", "innodb_log_group_home_dir", "innodb_undo_directory", "log_bin_basename"];
  const rows = await queryRows<{ Variable_name: string; Value: string }>(c, `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(() => "?").join(",")})`, names);
  const v = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
  const outside: string[] = [];
  for (const n of names.slice(0, 3)) {
    const val = v[n];
    if (!val || !path.isAbsolute(val)) continue; // relative paths are under the datadir
    if (relativeInside(path.resolve(datadir), path.resolve(val)) === null) outside.push(`${n}=${val}`);
  }
  if (outside.length) {
    throw new DomainError(
      "PRECONDITION",
      `${host} keeps InnoDB files outside the datadir ${datadir} (${outside.join(", ")}), so an archive of the datadir would not be a usable copy. ` +
        "Use the mariabackup/xtrabackup engine, which collects them, or move them into the datadir.",
    );
  }
  const bin = v.log_bin_basename;
  const binlogOutside = bin && path.isAbsolute(bin) && relativeInside(path.resolve(datadir), path.dirname(path.resolve(bin))) === null ? path.dirname(bin) : null;
  return { outside, binlogOutside };
}
