import type { EventDetails } from "./decode-event";
import type { EventHeader } from "./event-header";
import { EventType } from "./event-types";
import { advanceMariaGtidPos, formatMariaGtid, formatMariaGtidPos, mariaGtidPosIncludes, parseMariaGtidPos, type MariaGtid, type MariaGtidPos } from "./gtid-mariadb";
import { MysqlGtidSet } from "./gtid-mysql";

export type GtidTrackerSnapshot = {
  flavor: "mariadb" | "mysql" | null;
  state: string | null;
  open: { gtid: string; standalone: boolean; begun: boolean } | null;
};

/**
 * Follows the GTID state event by event: which GTID group is open and what has committed. The
 * archiver stores its snapshot with each checkpoint so a restart mid-transaction still knows which
 * GTID the coming commit belongs to.
 */
export class GtidTracker {
  private flavor: "mariadb" | "mysql" | null = null;
  private maria: MariaGtidPos = [];
  private mysql = MysqlGtidSet.empty();
  private known = false;
  private open: { gtid: string; maria?: MariaGtid; standalone: boolean; begun: boolean } | null = null;

  /** Seeds the state, e.g. from BINLOG_GTID_POS() or the requested start GTID. */
  seed(flavor: "mariadb" | "mysql", state: string | null) {
    this.flavor = flavor;
    if (state === null) return;
    if (flavor === "mariadb") this.maria = parseMariaGtidPos(state);
    else this.mysql = MysqlGtidSet.parse(state);
    this.known = true;
  }

  snapshot(): GtidTrackerSnapshot {
    return { flavor: this.flavor, state: this.state(), open: this.open ? { gtid: this.open.gtid, standalone: this.open.standalone, begun: this.open.begun } : null };
  }

  static restore(s: GtidTrackerSnapshot): GtidTracker {
    const t = new GtidTracker();
    if (s.flavor) t.seed(s.flavor, s.state);
    if (s.open) {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(s.open.gtid);
      t.open = { ...s.open, maria: m ? { domain: Number(m[1]), server: Number(m[2]), seq: BigInt(m[3]!) } : undefined };
    }
    return t;
  }

  /** The committed state, formatted; null while unknown. */
  state(): string | null {
    if (!this.known) return null;
    return this.flavor === "mysql" ? this.mysql.toString() : formatMariaGtidPos(this.maria);
  }

  /** Feeds one event; returns what it began or committed (for segment metadata). */
  onEvent(h: EventHeader, d: EventDetails | undefined): { began?: string; committed?: string } {
    switch (d?.kind) {
      case "gtid_list": {
        // the binlog state at the start of a file: keep the newest GTID per domain
        this.flavor = "mariadb";
        const byDomain = new Map<number, MariaGtid>();
        for (const g of d.gtids) {
          const cur = byDomain.get(g.domain);
          if (!cur || g.seq > cur.seq) byDomain.set(g.domain, g);
        }
        // never move a domain backwards (a GTID start may already be past the file's start)
        let pos = this.known ? this.maria : [];
        for (const g of byDomain.values()) if (!mariaGtidPosIncludes(pos, g) || !this.known) pos = advanceMariaGtidPos(pos, g);
        this.maria = pos;
        this.known = true;
        return {};
      }
      case "previous_gtids":
        this.flavor = "mysql";
        this.mysql = this.known ? this.mysql.union(d.gtidSet) : d.gtidSet;
        this.known = true;
        return {};
      case "mariadb_gtid": {
        this.flavor = "mariadb";
        const g = { domain: d.domain, server: d.server, seq: d.seq };
        this.open = { gtid: formatMariaGtid(g), maria: g, standalone: d.standalone, begun: !d.standalone };
        return { began: this.open.gtid };
      }
      case "mysql_gtid":
        this.flavor = "mysql";
        this.open = d.anonymous ? null : { gtid: d.gtid, standalone: false, begun: false };
        return d.anonymous ? {} : { began: d.gtid };
      case "xid":
        return this.commit();
      case "query": {
        if (!this.open) return {};
        const sql = d.sql.trim();
        if (/^(BEGIN|XA\s+START\b)/i.test(sql)) {
          this.open.begun = true;
          return {};
        }
        if (this.open.standalone || !this.open.begun || /^(COMMIT|ROLLBACK)$/i.test(sql) || /^XA\s+(COMMIT|ROLLBACK)\b/i.test(sql)) return this.commit();
        return {};
      }
    }
    if (h.type === EventType.XA_PREPARE) return this.commit();
    return {};
  }

  private commit(): { committed?: string } {
    const o = this.open;
    this.open = null;
    if (!o) return {};
    if (this.flavor === "mariadb" && o.maria) {
      this.maria = advanceMariaGtidPos(this.maria, o.maria);
      // a position naming only the domains seen since the start is still exact for those domains
      this.known = true;
    } else if (this.flavor === "mysql") {
      const [uuid, gno] = [o.gtid.slice(0, o.gtid.lastIndexOf(":")), o.gtid.slice(o.gtid.lastIndexOf(":") + 1)];
      this.mysql = this.mysql.add(uuid, BigInt(gno));
    }
    return { committed: o.gtid };
  }
}
