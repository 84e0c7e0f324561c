import { errorMessage } from "../../errors";
import type { ServerFacts } from "../../mysql/server-facts";
import { listEngines, selectEngine } from "../registry";
import { snapshotCapability } from "../snapshot/availability";
import { createEngineSelector, type SelectorOptions } from "./select-engine";

export type EngineReport = {
  info: {
    version: string;
    flavor: string;
    dataSizeBytes: number;
    /** "250.00 GB" */
    dataSize: string;
    clonePlugin: boolean;
    binlog: boolean;
    gtid: boolean;
    filesystem: string | null;
    snapshot: boolean;
  };
  engines: { name: string; description: string; available: boolean; reasons: string[] }[];
  recommendation: { engine: string | null; reason: string };
};

const RULE = "-".repeat(50);

/**
 * The seed's `dbbackup engine list|select` information: the server's facts that matter for the
 * choice, every registered engine's availability (with reasons and fixes), and the recommendation.
 */
export function gatherEngineReport(facts: ServerFacts, opts: SelectorOptions = {}): EngineReport {
  const engines = listEngines().map((e) => {
    const a = e.availability(facts);
    return { name: e.name, description: e.description, available: a.available, reasons: a.reasons };
  });
  let recommendation: EngineReport["recommendation"];
  try {
    const c = selectEngine(facts, { selector: createEngineSelector(opts) });
    recommendation = { engine: c.engine.name, reason: c.reason };
  } catch (e) {
    recommendation = { engine: null, reason: errorMessage(e) };
  }
  const snapshotFs = snapshotCapability(facts);
  return {
    info: {
      version: facts.version,
      flavor: facts.flavor === "mariadb" ? "MariaDB" : facts.flavor === "percona" ? "Percona Server" : "MySQL",
      dataSizeBytes: facts.totalBytes,
      dataSize: `${(facts.totalBytes / 2 ** 30).toFixed(2)} GB`,
      clonePlugin: facts.clonePlugin === "active",
      binlog: facts.binlog.enabled,
      gtid: facts.gtid.enabled,
      filesystem: snapshotFs === "lvm" ? `${facts.datadirFilesystem ?? "?"} on lvm` : facts.datadirFilesystem,
      snapshot: snapshotFs !== null,
    },
    engines,
    recommendation,
  };
}

const line = (label: string, value: unknown) => `${(label + ":").padEnd(14)}${value === null || value === undefined ? "unknown" : String(value)}`;

/**
 * The report as the seed prints it ("Database Information:" ... "Recommendation:"), for
 * `dbbackup engine select`; with `engines: true` the engine list goes between the two, for
 * `dbbackup engine list`.
 */
export function formatEngineReport(r: EngineReport, opts: { engines?: boolean } = {}): string {
  const out = [
    "Database Information:",
    RULE,
    line("Version", r.info.version),
    line("Flavor", r.info.flavor),
    line("Data Size", r.info.dataSize),
    line("Clone Plugin", r.info.clonePlugin),
    line("Binlog", r.info.binlog),
    line("GTID", r.info.gtid),
    line("Filesystem", r.info.filesystem),
    line("Snapshot", r.info.snapshot),
    "",
  ];
  if (opts.engines) {
    out.push("Engines:", RULE);
    const w = Math.max(...r.engines.map((e) => e.name.length), 6) + 2;
    for (const e of r.engines) {
      out.push(`${e.name.padEnd(w)}${e.available ? "available" : "unavailable"}  ${e.description}`);
      for (const why of e.reasons) out.push(`${" ".repeat(w)}- ${why}`);
    }
    out.push("");
  }
  out.push("Recommendation:", RULE, line("Engine", r.recommendation.engine ?? "none"), line("Reason", r.recommendation.reason));
  return out.join("\n") + "\n";
}
