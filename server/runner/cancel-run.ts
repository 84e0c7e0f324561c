import { recordAudit, type Actor } from "../audit/record";
import { db } from "../db/client";
import { notFound, precondition } from "../errors";
import { appendRunLog } from "./run-log";
import { Runner } from "./runner";

/**
 * Cancels a run: a queued run ends at once; a running one is told to stop (the runner aborts it,
 * removes its partial work, and marks it cancelled).
 */
export async function cancelRun(opts: { runId: string; actor: Actor }) {
  const run = await db().run.findUnique({ where: { id: opts.runId } });
  if (!run) throw notFound("Run", opts.runId);
  if (run.state !== "queued" && run.state !== "running") throw precondition(`Run ${run.id} already ended (${run.state}); nothing to cancel.`);
  const who = "id" in opts.actor ? opts.actor.email : opts.actor.system;
  const queued = await db().run.updateMany({
    where: { id: run.id, state: "queued" },
    data: { state: "cancelled", finishedAt: new Date(), error: `Cancelled by ${who} before it started.` },
  });
  if (queued.count === 0) {
    await db().run.update({ where: { id: run.id }, data: { cancelRequested: true } });
    for (const r of Runner.local) r.cancelLocal(run.id);
  }
  await appendRunLog(run.id, "warn", `Cancellation requested by ${who}.`);
  await recordAudit(opts.actor, "run.cancel", { type: "run", id: run.id }, { kind: run.kind, state: run.state });
  return db().run.findUniqueOrThrow({ where: { id: run.id } });
}
