import { withServer } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";
import { introspectServer } from "../mysql/introspect";
import { enginePrerequisites } from "../mysql/prerequisites";
import type { EnginePrerequisites, ServerFacts } from "../mysql/server-facts";
import type { z } from "zod";
import { errorMessage, isDomainError } from "../errors";
import { hostAddress, loadHost } from "./host-address";
import type { draftConnectionInput } from "./schemas";

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

/** "Test connection" in the host form: the typed settings, with the saved password when none was typed. */
export async function testDraftConnection(input: z.infer<typeof draftConnectionInput>): Promise<ConnectionTestResult> {
  const stored = input.id && !input.password ? hostAddress(await loadHost(input.id)).password : undefined;
  return testConnection({ ...input, password: input.password || stored || null });
}

/** "Test" on a saved host, without changing it. */
export async function testSavedHost(id: string): Promise<ConnectionTestResult> {
  return testConnection(hostAddress(await loadHost(id)));
}
