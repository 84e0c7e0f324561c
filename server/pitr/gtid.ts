import { mariaGtidPosIncludes, parseMariaGtid, parseMariaGtidPos } from "../binlog/gtid-mariadb";
import { MysqlGtidSet } from "../binlog/gtid-mysql";

/** A single GTID as a PITR target: MariaDB domain-server-seq, or MySQL uuid:n. */
export function isMariaGtid(g: string): boolean {
  return /^\d+-\d+-\d+$/.test(g.trim());
}

export function isMysqlGtid(g: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\d+$/i.test(g.trim());
}

/** Whether a GTID state (MariaDB position list or MySQL executed set) already includes `gtid`. */
export function stateIncludes(state: string | null | undefined, gtid: string): boolean {
  if (!state) return false;
  if (isMariaGtid(gtid)) return mariaGtidPosIncludes(parseMariaGtidPos(state), parseMariaGtid(gtid));
  return MysqlGtidSet.parse(state).contains(gtid);
}
