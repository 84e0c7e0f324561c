/**
 * Secondary indexes built after the data (like myloader's optimize-keys): InnoDB builds an index
 * from sorted data far faster than it maintains it row by row during the load. Only plain KEYs of
 * InnoDB tables without foreign keys are deferred; PRIMARY/UNIQUE keys (they define the data),
 * FULLTEXT/SPATIAL keys and anything in a definition this parser does not fully recognize stay in
 * the CREATE TABLE. Keys are added back in their original order, so SHOW CREATE TABLE is unchanged.
 */
const LINE = /^ {2}(`|PRIMARY KEY |UNIQUE KEY |KEY |FULLTEXT KEY |SPATIAL KEY |VECTOR KEY |CONSTRAINT |CHECK |PERIOD FOR |INDEX )/;

export function splitSecondaryKeys(createTable: string): { create: string; keys: string[] } | null {
  if (!/^CREATE TABLE /.test(createTable) || !/\) ENGINE=InnoDB\b/.test(createTable)) return null;
  const open = createTable.indexOf(" (\n");
  const close = createTable.lastIndexOf("\n) ");
  if (open < 0 || close < open) return null;
  const lines = createTable.slice(open + 3, close).split("\n");
  if (!lines.every((l) => LINE.test(l))) return null;
  if (lines.some((l) => /FOREIGN KEY/.test(l) && /^ {2}CONSTRAINT /.test(l))) return null;
  const defs = lines.map((l, i) => (i < lines.length - 1 ? l.replace(/,$/, "") : l));
  const keys = defs.filter((l) => l.startsWith("  KEY `")).map((l) => l.trim());
  if (!keys.length) return null;
  const rest = defs.filter((l) => !l.startsWith("  KEY `"));
  return { create: createTable.slice(0, open + 3) + rest.join(",\n") + createTable.slice(close), keys };
}
