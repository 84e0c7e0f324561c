import type { AgentCleanup } from "../../server/agents/agent-cleanups";
import { DomainError, errorMessage } from "../../server/errors";
import { LocalStore } from "../../server/storage/local-store";
import type { AgentCall } from "./client";

/** Removes one delivered prefix from a local-path target of this machine. */
export async function executeCleanup(c: AgentCleanup): Promise<number> {
  if (c.target.kind !== "local" || !c.target.path) throw new DomainError("INVALID", `Cleanup ${c.id} is not for a local-path target.`);
  const prefix = c.prefix.replace(/^\/+/, "");
  if (!prefix || prefix.split("/").some((p) => p === ".." || p === ".")) throw new DomainError("INVALID", `Cleanup ${c.id} names an unsafe prefix ${JSON.stringify(c.prefix)}.`);
  return new LocalStore(c.target.path).deletePrefix(prefix);
}

/**
 * Works the cleanups a heartbeat (or the registration) delivered: each prefix is removed here and
 * acknowledged; one still in flight is not started twice; a failure is reported and offered again.
 */
export function cleanupWorker(call: AgentCall, say: (m: string) => void) {
  const inFlight = new Set<string>();
  return (cleanups: AgentCleanup[] | undefined) => {
    for (const c of cleanups ?? []) {
      if (inFlight.has(c.id)) continue;
      inFlight.add(c.id);
      void (async () => {
        try {
          const removed = await executeCleanup(c);
          await call(`cleanups/${c.id}/done`, { ok: true, removed });
          say(`cleanup ${c.id}: removed ${c.prefix} from ${c.target.path} (${removed} object(s); ${c.reason})`);
        } catch (e) {
          say(`cleanup ${c.id}: could not remove ${c.prefix} from ${c.target.path}: ${errorMessage(e)}`);
          await call(`cleanups/${c.id}/done`, { ok: false, error: errorMessage(e) }).catch(() => undefined);
        } finally {
          inFlight.delete(c.id);
        }
      })();
    }
  };
}
