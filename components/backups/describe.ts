/** Plain words for the technical names a backup's manifest carries; the name itself goes in a tooltip. */

const LAYOUTS: Record<string, string> = {
  "logical-set": "Logical backup set: SQL and data per table, restorable in parallel",
  "sql-file": "Logical backup: one SQL file, restored in one stream",
  tar: "Physical copy of the data directory (tar archive)",
  xbstream: "Physical copy of the data directory (mariabackup stream)",
};

const ENGINES: Record<string, string> = {
  logical: "rows read through SQL",
  snapshot: "file-system snapshot of the data directory",
  clone: "MySQL clone plugin",
  mariabackup: "mariabackup hot copy",
};

export function describeFormat(engine: string, layout: string): { words: string; technical: string } {
  const words = LAYOUTS[layout] ?? `${engine} backup`;
  const how = ENGINES[engine];
  return { words: how && !LAYOUTS[layout]?.toLowerCase().includes(engine) ? `${words} (${how})` : words, technical: `engine ${engine}, layout ${layout}` };
}

const FINGERPRINTS: Record<string, string> = {
  "pk-sha256": "row count and SHA-256 of the rows in primary-key order",
  "multiset-sha256": "row count and an order-independent SHA-256 of the rows (the table has no primary key)",
};

export function describeFingerprint(method: string): string {
  return FINGERPRINTS[method] ?? method;
}
