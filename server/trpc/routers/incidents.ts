import { z } from "zod";
import { dmlUndoInput, startDmlUndo } from "../../incidents/dml-undo";
import { startIncidentIndex } from "../../incidents/index-runs";
import { incidentRestorePlan, listIncidents, listIncidentsInput, restorePlanInput } from "../../incidents/list-incidents";
import { protectedProcedure, router } from "../init";

export const incidentsRouter = router({
  /** The host's indexed incidents, filtered by schema, table, kind and time. */
  list: protectedProcedure.input(listIncidentsInput).query(({ input }) => listIncidents(input)),
  /** The restore that undoes an incident ("before" or "skip"), planned; pitr.start runs it. */
  restorePlan: protectedProcedure.input(restorePlanInput).query(({ input }) => incidentRestorePlan(input)),
  /** Queues a run that reads every archived segment not indexed yet. */
  reindex: protectedProcedure.input(z.object({ hostId: z.string().min(1) })).mutation(({ ctx, input }) => startIncidentIndex({ hostId: input.hostId, actor: ctx.user })),
  /** Queues the undo of a time range of one table's row changes: a preview run, or the undo itself (production: admin and the typed host name). */
  undo: protectedProcedure.input(dmlUndoInput).mutation(({ ctx, input }) => startDmlUndo({ input, actor: ctx.user })),
});
