import { invalid } from "../errors";

/** An inclusive range of transaction numbers of one source. */
export type GtidInterval = { start: bigint; end: bigint };

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const GNO_MAX = (1n << 63n) - 1n;

function normUuid(u: string): string {
  const hex = u.replace(/-/g, "").toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Sorted, non-overlapping, non-adjacent intervals. */
function normalize(list: GtidInterval[]): GtidInterval[] {
  const s = [...list].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: GtidInterval[] = [];
  for (const iv of s) {
    const last = out[out.length - 1];
    if (last && iv.start <= last.end + 1n) {
      if (iv.end > last.end) last.end = iv.end;
    } else out.push({ ...iv });
  }
  return out;
}

function subtractIntervals(a: GtidInterval[], b: GtidInterval[]): GtidInterval[] {
  let cur = a.map((x) => ({ ...x }));
  for (const cut of b) {
    const next: GtidInterval[] = [];
    for (const iv of cur) {
      if (cut.end < iv.start || cut.start > iv.end) {
        next.push(iv);
        continue;
      }
      if (cut.start > iv.start) next.push({ start: iv.start, end: cut.start - 1n });
      if (cut.end < iv.end) next.push({ start: cut.end + 1n, end: iv.end });
    }
    cur = next;
  }
  return cur;
}

/**
 * A MySQL GTID set ("uuid:1-5:7,uuid2:1-100"), as in @@gtid_executed and PREVIOUS_GTIDS events.
 * Immutable: every operation returns a new set. MySQL 8.4 tagged GTIDs (uuid:tag:n) are not supported.
 */
export class MysqlGtidSet {
  private constructor(private readonly sids: ReadonlyMap<string, readonly GtidInterval[]>) {}

  static empty(): MysqlGtidSet {
    return new MysqlGtidSet(new Map());
  }

  static parse(text: string): MysqlGtidSet {
    const m = new Map<string, GtidInterval[]>();
    for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
      const [uuidRaw, ...ranges] = part.split(":").map((p) => p.trim());
      if (!uuidRaw || !UUID_RE.test(uuidRaw)) throw invalid("gtid", `${JSON.stringify(part)} is not a MySQL GTID set element: expected uuid:N[-M][:N[-M]...], e.g. 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5.`);
      if (ranges.length === 0) throw invalid("gtid", `${JSON.stringify(part)} names a server uuid without transaction numbers.`);
      const uuid = normUuid(uuidRaw);
      const list = m.get(uuid) ?? [];
      for (const r of ranges) {
        const mm = /^(\d+)(?:-(\d+))?$/.exec(r);
        if (!mm) throw invalid("gtid", `${JSON.stringify(r)} in ${JSON.stringify(part)} is not a transaction number or range (tagged GTIDs are not supported).`);
        const start = BigInt(mm[1]!);
        const end = mm[2] !== undefined ? BigInt(mm[2]) : start;
        if (start < 1n || end < start || end > GNO_MAX) throw invalid("gtid", `${JSON.stringify(r)} in ${JSON.stringify(part)} is not a valid range (numbers start at 1, start <= end).`);
        list.push({ start, end });
      }
      m.set(uuid, list);
    }
    return MysqlGtidSet.from(m);
  }

  private static from(m: Map<string, GtidInterval[]>): MysqlGtidSet {
    const out = new Map<string, GtidInterval[]>();
    for (const [k, v] of [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const n = normalize(v);
      if (n.length) out.set(k, n);
    }
    return new MysqlGtidSet(out);
  }

  /** Binary form used by PREVIOUS_GTIDS and COM_BINLOG_DUMP_GTID (interval ends are exclusive there). */
  static decode(buf: Buffer, offset = 0): MysqlGtidSet {
    const m = new Map<string, GtidInterval[]>();
    let o = offset;
    const need = (n: number) => {
      if (o + n > buf.length) throw new RangeError(`GTID set truncated at byte ${o}`);
    };
    need(8);
    const nSids = Number(buf.readBigUInt64LE(o));
    o += 8;
    for (let i = 0; i < nSids; i++) {
      need(24);
      const uuid = normUuid(buf.toString("hex", o, o + 16));
      o += 16;
      const n = Number(buf.readBigUInt64LE(o));
      o += 8;
      const list = m.get(uuid) ?? [];
      for (let j = 0; j < n; j++) {
        need(16);
        const start = buf.readBigUInt64LE(o);
        const endExcl = buf.readBigUInt64LE(o + 8);
        o += 16;
        if (endExcl <= start) throw new RangeError(`GTID set interval ${start}-${endExcl} is empty or reversed`);
        list.push({ start, end: endExcl - 1n });
      }
      m.set(uuid, list);
    }
    return MysqlGtidSet.from(m);
  }

  encode(): Buffer {
    const parts: Buffer[] = [];
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(this.sids.size));
    parts.push(head);
    for (const [uuid, list] of this.sids) {
      const b = Buffer.alloc(24 + 16 * list.length);
      Buffer.from(uuid.replace(/-/g, ""), "hex").copy(b, 0);
      b.writeBigUInt64LE(BigInt(list.length), 16);
      list.forEach((iv, i) => {
        b.writeBigUInt64LE(iv.start, 24 + 16 * i);
        b.writeBigUInt64LE(iv.end + 1n, 32 + 16 * i);
      });
      parts.push(b);
    }
    return Buffer.concat(parts);
  }

  toString(): string {
    return [...this.sids]
      .map(([uuid, list]) => [uuid, ...list.map((iv) => (iv.start === iv.end ? `${iv.start}` : `${iv.start}-${iv.end}`))].join(":"))
      .join(",");
  }

  get isEmpty(): boolean {
    return this.sids.size === 0;
  }

  uuids(): string[] {
    return [...this.sids.keys()];
  }

  intervals(uuid: string): GtidInterval[] {
    return (this.sids.get(normUuid(uuid)) ?? []).map((x) => ({ ...x }));
  }

  /** Number of transactions in the set. */
  count(): bigint {
    let n = 0n;
    for (const list of this.sids.values()) for (const iv of list) n += iv.end - iv.start + 1n;
    return n;
  }

  add(uuid: string, gno: bigint | number): MysqlGtidSet {
    const g = BigInt(gno);
    return this.union(new MysqlGtidSet(new Map([[normUuid(uuid), [{ start: g, end: g }]]])));
  }

  union(other: MysqlGtidSet): MysqlGtidSet {
    const m = new Map<string, GtidInterval[]>();
    for (const s of [this, other]) for (const [k, v] of s.sids) m.set(k, [...(m.get(k) ?? []), ...v.map((x) => ({ ...x }))]);
    return MysqlGtidSet.from(m);
  }

  subtract(other: MysqlGtidSet): MysqlGtidSet {
    const m = new Map<string, GtidInterval[]>();
    for (const [k, v] of this.sids) m.set(k, subtractIntervals([...v], [...(other.sids.get(k) ?? [])]));
    return MysqlGtidSet.from(m);
  }

  /** Whether every GTID of `other` (a set, or one "uuid:n") is in this set. */
  contains(other: MysqlGtidSet | string): boolean {
    const o = typeof other === "string" ? MysqlGtidSet.parse(other) : other;
    return o.subtract(this).isEmpty;
  }

  equals(other: MysqlGtidSet): boolean {
    return this.toString() === other.toString();
  }
}

/** A single MySQL GTID "uuid:n". */
export function formatMysqlGtid(uuid: string, gno: bigint | number): string {
  return `${normUuid(uuid)}:${gno}`;
}
