import { invalid } from "../errors";

/** A MariaDB GTID: domain-server-sequence. */
export type MariaGtid = { domain: number; server: number; seq: bigint };
/** A MariaDB GTID position: the last GTID per replication domain (as in @@gtid_binlog_pos). */
export type MariaGtidPos = MariaGtid[];

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

export function parseMariaGtid(s: string): MariaGtid {
  const m = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(s);
  if (!m) throw invalid("gtid", `${JSON.stringify(s)} is not a MariaDB GTID: expected domain-server-sequence, e.g. 0-1-100.`);
  const domain = Number(m[1]);
  const server = Number(m[2]);
  const seq = BigInt(m[3]!);
  if (domain > U32_MAX || server > U32_MAX || seq > U64_MAX) throw invalid("gtid", `${JSON.stringify(s)} is out of range for a MariaDB GTID.`);
  return { domain, server, seq };
}

export function formatMariaGtid(g: MariaGtid): string {
  return `${g.domain}-${g.server}-${g.seq}`;
}

/** Parses "0-1-100,1-2-5" (empty = no GTID yet). Two GTIDs of the same domain are an error, as on the server. */
export function parseMariaGtidPos(s: string): MariaGtidPos {
  const parts = s
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const seen = new Set<number>();
  const out: MariaGtid[] = [];
  for (const p of parts) {
    const g = parseMariaGtid(p);
    if (seen.has(g.domain)) throw invalid("gtid", `GTID position ${JSON.stringify(s)} names domain ${g.domain} twice; give one GTID per domain.`);
    seen.add(g.domain);
    out.push(g);
  }
  return out.sort((a, b) => a.domain - b.domain);
}

export function formatMariaGtidPos(p: MariaGtidPos): string {
  return [...p]
    .sort((a, b) => a.domain - b.domain)
    .map(formatMariaGtid)
    .join(",");
}

/** The position after `g` committed: g replaces its domain's entry. */
export function advanceMariaGtidPos(p: MariaGtidPos, g: MariaGtid): MariaGtidPos {
  return [...p.filter((x) => x.domain !== g.domain), g].sort((a, b) => a.domain - b.domain);
}

/** Whether `g` is at or before the position in its domain (so a replica at `p` has applied it). */
export function mariaGtidPosIncludes(p: MariaGtidPos, g: MariaGtid): boolean {
  const cur = p.find((x) => x.domain === g.domain);
  return !!cur && g.seq <= cur.seq;
}

/** Orders two GTIDs of the same domain by sequence; GTIDs of different domains are not ordered (null). */
export function compareMariaGtid(a: MariaGtid, b: MariaGtid): -1 | 0 | 1 | null {
  if (a.domain !== b.domain) return null;
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

/** Whether position a has reached b in every domain b names. */
export function mariaGtidPosReached(a: MariaGtidPos, b: MariaGtidPos): boolean {
  return b.every((g) => mariaGtidPosIncludes(a, g));
}
