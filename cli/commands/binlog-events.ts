import type { Command } from "commander";
import { INCIDENT_KINDS, matchesFilter, type Incident, type IncidentFilter, type IncidentKind } from "../../server/incidents/scan-incidents";
import { scanDirectory } from "../../server/incidents/read-archive";
import { collectList, out, parseIntFlag, printJson, withCommonFlags } from "../common";
import { usage, UsageError } from "../usage";

function parseTime(flag: string, v: string | undefined): Date | undefined {
  if (!v) return undefined;
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) throw new UsageError(`${flag} ${v}: not a time; use ISO 8601 like 2026-11-23T14:05:00Z`);
  return t;
}

export function describeIncident(i: Incident): string {
  const what = i.kind === "drop_database" ? `database ${i.database}` : i.tables.join(", ");
  const rows = i.rows !== null ? ` ${i.rows.toLocaleString("en-US")} rows` : "";
  return `${i.at.toISOString()}  ${i.kind.padEnd(17)} ${what}${rows}  ${i.gtid ? `GTID ${i.gtid}  ` : ""}${i.file}:${i.startPosition}-${i.endPosition}${i.threadId !== null ? `  thread ${i.threadId}` : ""}${i.statement ? `\n    ${i.statement.replace(/\s+/g, " ").slice(0, 200)}` : ""}`;
}

export function registerBinlogEventsCommand(program: Command) {
  const cmd = program
    .command("binlog-events")
    .description("find incidents in archived binlogs: DROP/TRUNCATE/RENAME/ALTER, DELETE/UPDATE of many rows, large transactions")
    .requiredOption("--binlogs <dir>", "the directory binlog-stream --output wrote, or a directory of binlog files")
    .option("--table <db.table>", "only incidents of this table (repeatable, or a,b)", collectList, [])
    .option("--database <db>", "only incidents of this database")
    .option("--kind <kind>", `only these kinds (repeatable, or a,b): ${INCIDENT_KINDS.join(", ")}`, collectList, [])
    .option("--since <time>", "only incidents committed at or after this time (ISO 8601)")
    .option("--until <time>", "only incidents committed at or before this time (ISO 8601)")
    .option("--rows <n>", "a DELETE/UPDATE of more rows than this (one table, one transaction) is an incident", parseIntFlag("--rows", 1, 2_000_000_000), 10_000)
    .option("--transaction-bytes <n>", "a transaction larger than this many bytes is an incident", parseIntFlag("--transaction-bytes", 1024, 2 ** 31 - 1), 64 * 1024 * 1024);
  withCommonFlags(cmd);
  cmd.action(async (_o, c: Command) => {
    const p = await usage(() => {
      const kinds = c.getOptionValue("kind") as string[];
      const bad = kinds.filter((k) => !(INCIDENT_KINDS as readonly string[]).includes(k));
      if (bad.length) throw new UsageError(`--kind ${bad.join(",")}: not a kind; use ${INCIDENT_KINDS.join(", ")}`);
      const tables = c.getOptionValue("table") as string[];
      const noDb = tables.filter((t) => !/^[^.]+\.[^.]+$/.test(t));
      if (noDb.length) throw new UsageError(`--table ${noDb.join(",")}: give database.table, e.g. shop.orders`);
      const filter: IncidentFilter = { tables, database: c.getOptionValue("database") as string | undefined, kinds: kinds as IncidentKind[], since: parseTime("--since", c.getOptionValue("since")), until: parseTime("--until", c.getOptionValue("until")) };
      return { dir: c.getOptionValue("binlogs") as string, filter, rows: c.getOptionValue("rows") as number, trxBytes: c.getOptionValue("transactionBytes") as number, json: !!c.getOptionValue("json"), quiet: !!c.getOptionValue("quiet") };
    });
    const found: Incident[] = [];
    let bytes = 0;
    const t0 = performance.now();
    for await (const i of scanDirectory(p.dir, { rowThreshold: p.rows, transactionBytes: p.trxBytes, onBytes: (n) => (bytes += n) })) {
      if (!matchesFilter(i, p.filter)) continue;
      found.push(i);
      if (!p.json) out(describeIncident(i));
    }
    const secs = (performance.now() - t0) / 1000;
    if (p.json) return printJson({ incidents: found, scannedBytes: bytes, seconds: Math.round(secs * 1000) / 1000 });
    if (!p.quiet) process.stderr.write(`${found.length} incident(s); ${(bytes / 1e6).toFixed(1)} MB of binlog read in ${secs.toFixed(2)} s.\n`);
  });
}
