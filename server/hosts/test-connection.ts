import { withServer } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";
import { introspectServer } from "../mysql/introspect";
import { enginePrerequisites } from "../mysql/prerequisites";
import type { EnginePrerequisites, ServerFacts } from "../mysql/server-facts";
import { errorMessage, isDomainError } from "../errors";

export type ConnectionTestResult =
  | { ok: true; ms: number; facts: ServerFacts; prerequisites: EnginePrerequisites[] }
  | { ok: false; ms: number; message: string };

/** Connects (5 s timeout) and introspects. Never throws for connection problems: the result says why. */
export async function testConnection(address: ServerAddress): Promise<ConnectionTestResult> {
  const started = Date.now();
  try {
    const facts = await withServer(address, (c) => introspectServer(c, address));
    return { ok: true, ms: Date.now() - started, facts, prerequisites: enginePrerequisites(facts) };
  } catch (e) {
    return { ok: false, ms: Date.now() - started, message: isDomainError(e) ? e.message : `Introspection failed: ${errorMessage(e)}` };
  }
}
