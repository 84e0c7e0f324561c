import { advanceMariaGtidPos, formatMariaGtidPos, parseMariaGtid, parseMariaGtidPos } from "../../binlog/gtid-mariadb";
import { MysqlGtidSet } from "../../binlog/gtid-mysql";
import { isMariaGtid } from "../gtid";

/** The GTID state after a transaction (MariaDB position or MySQL executed set); unchanged when it cannot be parsed. */
export function advanceGtid(state: string | null, gtid: string): string | null {
  try {
    if (isMariaGtid(gtid)) return formatMariaGtidPos(advanceMariaGtidPos(parseMariaGtidPos(state ?? ""), parseMariaGtid(gtid)));
    const [uuid, gno] = [gtid.slice(0, gtid.lastIndexOf(":")), gtid.slice(gtid.lastIndexOf(":") + 1)];
    return (state ? MysqlGtidSet.parse(state) : MysqlGtidSet.empty()).add(uuid, BigInt(gno)).toString();
  } catch {
    return state;
  }
}
