import { DomainError } from "../errors";
import type { ServerFacts } from "../mysql/server-facts";
import { defaultEngineSelector } from "./select/select-engine";
import type { BackupEngine, EngineChoice } from "./types";

const engines = new Map<string, BackupEngine>();

export function registerEngine(e: BackupEngine) {
  engines.set(e.name, e);
}

export function listEngines(): BackupEngine[] {
  return [...engines.values()];
}

export function getEngine(name: string): BackupEngine {
  const e = engines.get(name === "mysqldump" ? "logical" : name);
  if (!e) throw new DomainError("INVALID", `Unknown engine ${JSON.stringify(name)}; known: ${[...engines.keys()].join(", ")}.`, { field: "engine" });
  return e;
}

export type { EngineChoice };

/**
 * Chooses the engine for "auto". Selection rules (the seed's): physical engines for large databases
 * when they are available, the clone plugin on MySQL 8.0.17+, snapshots where the filesystem allows,
 * the logical engine otherwise. Each registered engine says whether it is available for these facts.
 */
export function selectEngine(facts: ServerFacts, prefs: { selector?: (facts: ServerFacts, available: BackupEngine[]) => EngineChoice | null } = {}): EngineChoice {
  const available = listEngines().filter((e) => e.availability(facts).available);
  const chosen = (prefs.selector ?? defaultEngineSelector)(facts, available);
  if (chosen) return chosen;
  const logical = available.find((e) => e.name === "logical");
  if (logical) return { engine: logical, reason: "logical engine: works with every server and version" };
  throw new DomainError("PRECONDITION", "No backup engine is available for this host; see the prerequisites on the host page.");
}
