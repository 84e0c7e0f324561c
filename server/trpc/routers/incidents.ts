import { z } from "zod";
import { dmlUndoInput, startDmlUndo } from "../../incidents/dml-undo";
import { startIncidentIndex } from "../../incidents/index-runs";
import { repairSqlChunk, startTableRestore, tableRestoreInput } from "../../incidents/table-restore";
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
  /** Queues a table-level restore: tables of one database to a point, next to the live ones, compared. */
  tableRestore: protectedProcedure.input(tableRestoreInput).mutation(({ ctx, input }) => startTableRestore({ input, actor: ctx.user })),
  /** The repair SQL a table restore wrote, a chunk at a time (it holds table data: operators). */
  repairSql: protectedProcedure.input(z.object({ runId: z.string().min(1), offset: z.number().int().min(0).default(0) })).query(({ input }) => repairSqlChunk(input)),
});
