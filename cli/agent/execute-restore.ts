import type { ClaimResponse, PitrJobPayload, RestoreJobPayload } from "../../server/agents/agent-runs";
import { pitrFromPlan } from "../../server/pitr/pitr-run";
import { specSources } from "../../server/pitr/replay/catalog-sources";
import { dropDatabasesAt } from "../../server/restore/drop-created";
import type { CreatedDatabases, RestoreTargetHost, WorkspaceContext } from "../../server/restore/restore-into-host";
import { errorMessage } from "../../server/errors";
import { restoreOpenedSet } from "../../server/restore/restore-run";
import { storeFromSpec } from "../../server/storage/open-store";
import type { AgentCall } from "./client";
import { Fenced, holdRun, isRefusal, type HeldRun } from "./held-run";
import { openJobSet } from "./open-set";

/**
 * The work context of a held restore: the held run's, plus `workspace`, which sends the databases
 * the restore is about to create to the dashboard with the run's fence before they are created (so
 * a failure, or this agent dying, drops exactly those). A refusal stops the work (Fenced).
 */
export function restoreContext(call: AgentCall, claim: Pick<ClaimResponse, "runId" | "fence">, held: HeldRun, sent: (w: Partial<CreatedDatabases>) => void = () => undefined): WorkspaceContext {
  return {
    ...held.ctx,
    workspace: async (w) => {
      sent(w as Partial<CreatedDatabases>);
      try {
        await call(`runs/${claim.runId}/workspace`, { fence: claim.fence, workspace: w });
      } catch (e) {
        throw isRefusal(e) ? new Fenced((e as Error).message) : e;
      }
    },
  };
}

/**
 * Runs a held restore-like job to its end: `work` does the restore with the context above; its
 * result is reported with the fence ("restored"), a failure as the held run classifies it.
 */
export async function runHeldRestore(call: AgentCall, claim: ClaimResponse, host: RestoreTargetHost, say: (m: string) => void, stopping: AbortSignal, work: (ctx: WorkspaceContext) => Promise<Record<string, unknown>>): Promise<string> {
  const held = holdRun(call, claim, stopping);
  const { ctx, tracker } = held;
  let created: string[] = [];
  try {
    const result = await work(restoreContext(call, claim, held, (w) => (created = w.created ?? [])));
    held.release();
    await held.report();
    if (ctx.signal.reason instanceof Fenced) throw ctx.signal.reason; // taken over while finishing: report nothing
    await held.finish({ fence: claim.fence, outcome: "restored", result, progress: tracker.final(held.began) });
    return "restored";
  } catch (e) {
    held.release();
    const f = held.failure(e);
    if (f.kind === "fenced") {
      say(`run ${claim.runId}: fence ${claim.fence} refused (${f.message})`);
      return "fenced";
    }
    // Drop what this restore created here first: the agent may be the only one that reaches the
    // server. The dashboard drops the workspace's databases again when it takes the failure (idempotent).
    if (created.length)
      await dropDatabasesAt(host.address, host.name, created).then(
        () => ctx.log("warn", `Dropped the database(s) this restore had created: ${created.join(", ")}.`),
        (de) => ctx.log("error", `Could not drop the partly restored database(s) from the agent: ${errorMessage(de)}`),
      );
    return held.reportFailure(f, say);
  } finally {
    held.release();
  }
}

/**
 * Executes one claimed restore on this machine with the same function as the embedded run: the set
 * (and its chain) read from the target, then a logical restore into the host (new databases recorded
 * first) or the host's datadir replaced in place.
 */
export function executeRestoreJob(call: AgentCall, claim: ClaimResponse, job: RestoreJobPayload, say: (m: string) => void, stopping: AbortSignal): Promise<string> {
  return runHeldRestore(call, claim, job.host, say, stopping, async (ctx) => {
    const store = storeFromSpec(job.target);
    ctx.progress({ phase: "reading manifest" });
    const reader = await openJobSet(store, job.links);
    const result = await restoreOpenedSet(ctx, { reader, backupId: job.backupId, targetHost: job.host, params: job.params });
    ctx.log("info", `Restored on the agent, reading from ${store.describe(job.links[0]!.location)}.`);
    return result;
  });
}

/**
 * Executes one claimed point-in-time restore on this machine with the same function as the embedded
 * run, on the plan the dashboard made: the base backup read from its target, then the binlog files
 * read from the storage targets they were shipped to and replayed up to the target.
 */
export function executePitrJob(call: AgentCall, claim: ClaimResponse, job: PitrJobPayload, say: (m: string) => void, stopping: AbortSignal): Promise<string> {
  return runHeldRestore(call, claim, job.host, say, stopping, async (ctx) => {
    const t0 = Date.now();
    const store = storeFromSpec(job.target);
    ctx.progress({ phase: "reading manifest" });
    const reader = await openJobSet(store, job.links);
    const sources = await specSources(job.sources, async (id) => {
      const spec = job.stores[id];
      if (!spec) throw new Error(`the claim named no storage target ${id} for the binlogs`);
      return storeFromSpec(spec);
    });
    const result = await pitrFromPlan(ctx, { reader, sources, targetHost: job.host, params: job.params, job: job.job, startedAt: t0 });
    ctx.log("info", `Point-in-time restore done on the agent, reading the base from ${store.describe(job.links[0]!.location)} and ${sources.length} binlog file(s) from storage.`);
    return result;
  });
}
