/** What introspection learns about a server; stored as JSON on the Host and used by engine selection. */
export type Flavor = "mariadb" | "mysql" | "percona";

export type SchemaSize = { name: string; tables: number; dataBytes: number; indexBytes: number };

export type ServerFacts = {
  version: string; // numeric part, e.g. "10.11.19"
  versionComment: string;
  fullVersion: string;
  flavor: Flavor;
  serverId: number;
  hostname: string;
  datadir: string;
  /** Filesystem type of the datadir when the server runs on this machine; null when remote or unknown. */
  datadirFilesystem: string | null;
  isLocal: boolean;
  binlog: {
    enabled: boolean;
    format: string | null;
    rowImage: string | null;
    checksum: string | null;
    basename: string | null;
    currentFile: string | null;
    currentPosition: number | null;
    expireSeconds: number | null;
  };
  gtid: {
    /** MySQL: gtid_mode ON; MariaDB: GTIDs always exist when binlog is on. */
    enabled: boolean;
    mode: string | null;
    executed: string | null;
    strictMode: boolean | null;
    domainId: number | null;
  };
  clonePlugin: "active" | "inactive" | "absent" | "unsupported";
  privileges: string[]; // global privileges of the connected account (upper case), "ALL PRIVILEGES" expanded
  grants: string[];
  user: string;
  sizes: SchemaSize[];
  totalBytes: number;
  innodb: { filePerTable: boolean | null; bufferPoolBytes: number | null };
  timeZone: string;
  lowerCaseTableNames: number;
  collectedAt: string;
};

export type Prerequisite = { ok: boolean; what: string; fix?: string };
export type EnginePrerequisites = { engine: string; available: boolean; checks: Prerequisite[] };

export function versionAtLeast(version: string, want: string): boolean {
  const a = version.split(".").map((n) => parseInt(n, 10) || 0);
  const b = want.split(".").map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}
