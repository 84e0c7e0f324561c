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
  /**
   * The seed's engine names that are not engines of their own here: `mysqldump` (an alias of the
   * logical engine) and `streaming` (any engine's output sent straight to S3 by stream-backup).
   * Listed next to the engines by `dbbackup engine list`, with their availability on this server.
   */
  seedNames: { name: string; means: string; description: string; available: boolean; reasons: string[] }[];
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
  const logical = engines.find((e) => e.name === "logical");
  const streamable = engines.filter((e) => e.available).map((e) => e.name);
  const seedNames: EngineReport["seedNames"] = [
    {
      name: "mysqldump",
      means: "logical",
      description: "the seed's name for the logical engine: --engine mysqldump runs logical (a .sql/.sql.gz/.sql.zst file the stock client replays, or a backup set)",
      available: logical?.available ?? false,
      reasons: logical ? logical.reasons : ["the logical engine is not registered"],
    },
    {
      name: "streaming",
      means: "stream-backup",
      description: "not an engine of its own: stream-backup --target s3://bucket/... sends any available engine's output straight to S3 by parallel multipart upload, nothing staged on disk",
      available: streamable.length > 0,
      reasons: streamable.length ? [`engines that can stream here: ${streamable.join(", ")}`] : ["no engine is available to stream"],
    },
  ];
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
    seedNames,
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
    const seed = r.seedNames ?? [];
    const w = Math.max(...r.engines.map((e) => e.name.length), ...seed.map((e) => e.name.length), 6) + 2;
    const row = (e: { name: string; available: boolean; description: string; reasons: string[] }) => {
      out.push(`${e.name.padEnd(w)}${e.available ? "available" : "unavailable"}  ${e.description}`);
      for (const why of e.reasons) out.push(`${" ".repeat(w)}- ${why}`);
    };
    for (const e of r.engines) {
      row(e);
      // the seed's mysqldump right after the engine it names
      for (const s of seed) if (s.means === e.name) row(s);
    }
    for (const s of seed) if (!r.engines.some((e) => e.name === s.means)) row(s);
    out.push("");
  }
  out.push("Recommendation:", RULE, line("Engine", r.recommendation.engine ?? "none"), line("Reason", r.recommendation.reason));
  return out.join("\n") + "\n";
}
