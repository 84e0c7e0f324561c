import { parseJson } from "../db/client";
// request handlers and the runner may live in separately bundled module graphs: register here too
import { formatEngineReport, gatherEngineReport } from "../engines/select/engine-report";
import type { ServerFacts } from "../mysql/server-facts";
import { loadHost } from "./host-address";

/**
 * The engine selection for a host, from its last introspection: the same report
 * `dbbackup engine select` prints (facts, every engine's availability, the recommendation and why),
 * and the choices for "Back up now".
 */
export async function hostEngines(hostId: string, destination?: "s3" | "local") {
  const host = await loadHost(hostId);
  const facts = parseJson<ServerFacts | null>(host.introspection, null);
  if (!facts) return { report: null, text: null, options: [{ name: "auto", description: "the host has not been introspected yet", available: false, reasons: ["introspect the host first"], choice: undefined as string | undefined }] };
  const report = gatherEngineReport(facts, { destination });
  const options = [
    {
      name: "auto",
      description: report.recommendation.engine ? `Chooses ${report.recommendation.engine}: ${report.recommendation.reason}` : report.recommendation.reason,
      available: !!report.recommendation.engine,
      reasons: report.recommendation.engine ? [] : [report.recommendation.reason],
      choice: report.recommendation.engine ?? undefined,
    },
    ...report.engines.map((e) => ({ ...e, choice: undefined as string | undefined })),
  ];
  return { report, text: formatEngineReport(report, { engines: true }), options };
}
