import type { BinlogEvent } from "./binlog-event";
import { EventType } from "./event-types";

/** A unit replay applies or skips whole: a transaction, or a statement that commits by itself (DDL). */
export type BinlogTransaction = {
  file?: string;
  /** position of its first event (GTID or BEGIN): replay starts here */
  startPosition: number;
  /** position after its commit event: replay stops here to include it */
  endPosition: number;
  /** MariaDB "domain-server-seq" or MySQL "uuid:n"; absent without GTIDs */
  gtid?: string;
  kind: "transaction" | "statement";
  /** server that wrote it (header server id of the commit event) */
  serverId: number;
  /** earliest event timestamp (seconds): when its first statement started (MariaDB's GTID event carries the commit time) */
  beginTimestamp: number;
  /** timestamp (seconds) of the commit event (XID/COMMIT, or the statement itself) */
  commitTimestamp: number;
  xid?: bigint;
  /** "db.table" of every table map in it */
  tables: string[];
  /** query texts other than BEGIN/COMMIT (DDL, statement-based DML), at most 20 kept */
  statements: string[];
  /** the database the first statement ran in, when it has a QUERY event */
  database?: string;
  eventCount: number;
  /** false when the stream ended (or another group began) before its commit */
  complete: boolean;
  /** the events themselves, only with { keepEvents: true } */
  events?: BinlogEvent[];
};

const MAX_STATEMENTS = 20;

type Open = BinlogTransaction & { begun: boolean; standalone: boolean; gtidFlavor?: "mariadb" | "mysql" };

function isQueryText(sql: string, word: RegExp) {
  return word.test(sql.trim());
}

/**
 * Groups events into transactions: MariaDB GTID ... XID/COMMIT (or a standalone GTID + one
 * statement), MySQL GTID + BEGIN ... XID/COMMIT (or GTID + one DDL), and BEGIN ... COMMIT without
 * GTIDs. Events outside any group (FORMAT_DESCRIPTION, ROTATE, GTID lists, checkpoints) are skipped.
 */
export async function* groupTransactions(events: AsyncIterable<BinlogEvent>, opts: { keepEvents?: boolean } = {}): AsyncGenerator<BinlogTransaction> {
  let cur: Open | null = null;

  const open = (ev: BinlogEvent, init: Partial<Open>): Open => ({
    file: ev.file,
    startPosition: ev.position,
    endPosition: ev.endPosition,
    kind: "transaction",
    serverId: ev.header.serverId,
    beginTimestamp: ev.header.timestamp,
    commitTimestamp: ev.header.timestamp,
    tables: [],
    statements: [],
    eventCount: 0,
    complete: false,
    begun: false,
    standalone: false,
    ...(opts.keepEvents ? { events: [] } : {}),
    ...init,
  });
  const add = (t: Open, ev: BinlogEvent) => {
    t.eventCount++;
    if (ev.header.timestamp && ev.header.timestamp < t.beginTimestamp) t.beginTimestamp = ev.header.timestamp;
    t.endPosition = ev.endPosition;
    if (t.events) t.events.push(ev);
  };
  const finish = (t: Open, ev: BinlogEvent | null): BinlogTransaction => {
    if (ev) {
      t.complete = true;
      t.commitTimestamp = ev.header.timestamp;
      t.serverId = ev.header.serverId;
    }
    const { begun: _b, standalone: _s, gtidFlavor: _g, ...out } = t;
    return out;
  };

  for await (const ev of events) {
    const d = ev.details;
    const t = ev.header.type;
    if (t === EventType.MARIADB_GTID && d?.kind === "mariadb_gtid") {
      if (cur) yield finish(cur, null);
      cur = open(ev, { gtid: `${d.domain}-${d.server}-${d.seq}`, standalone: d.standalone, begun: !d.standalone, gtidFlavor: "mariadb", kind: d.standalone ? "statement" : "transaction" });
      add(cur, ev);
      continue;
    }
    if ((t === EventType.MYSQL_GTID || t === EventType.MYSQL_ANONYMOUS_GTID) && d?.kind === "mysql_gtid") {
      if (cur) yield finish(cur, null);
      cur = open(ev, { gtid: d.anonymous ? undefined : d.gtid, gtidFlavor: "mysql" });
      add(cur, ev);
      continue;
    }
    if (t === EventType.QUERY && d?.kind === "query") {
      const sql = d.sql;
      if (isQueryText(sql, /^BEGIN$/i) || isQueryText(sql, /^XA\s+START\b/i)) {
        // a MariaDB GTID already began the group; anything else open here lost its commit
        if (!cur || (cur.begun && cur.eventCount > 1)) {
          if (cur) yield finish(cur, null);
          cur = open(ev, {});
        }
        cur.begun = true;
        cur.database ??= d.database || undefined;
        if (/^XA/i.test(sql.trim())) cur.statements.push(sql);
        add(cur, ev);
        continue;
      }
      if ((isQueryText(sql, /^(COMMIT|ROLLBACK)$/i) && cur?.begun) || (cur && isQueryText(sql, /^XA\s+(COMMIT|ROLLBACK)\b/i))) {
        if (/^XA/i.test(sql.trim())) cur.statements.push(sql);
        add(cur, ev);
        yield finish(cur, ev);
        cur = null;
        continue;
      }
      if (!cur) {
        // a statement outside any group (no GTIDs, DDL): it commits by itself
        const s = open(ev, { kind: "statement", database: d.database || undefined, statements: [sql] });
        add(s, ev);
        yield finish(s, ev);
        continue;
      }
      cur.database ??= d.database || undefined;
      if (cur.statements.length < MAX_STATEMENTS) cur.statements.push(sql);
      add(cur, ev);
      if (cur.standalone || !cur.begun) {
        // MariaDB standalone GTID + its statement, MySQL GTID + DDL, XA COMMIT/ROLLBACK
        cur.kind = "statement";
        yield finish(cur, ev);
        cur = null;
      }
      continue;
    }
    if (!cur) continue;
    add(cur, ev);
    if (t === EventType.TABLE_MAP && d?.kind === "table_map") {
      const name = `${d.database}.${d.table}`;
      if (!cur.tables.includes(name)) cur.tables.push(name);
    } else if (t === EventType.XID && d?.kind === "xid") {
      cur.xid = d.xid;
      yield finish(cur, ev);
      cur = null;
    } else if (t === EventType.XA_PREPARE) {
      yield finish(cur, ev);
      cur = null;
    }
  }
  if (cur) yield finish(cur, null);
}
