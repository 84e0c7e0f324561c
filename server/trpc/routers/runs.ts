import { z } from "zod";
import { cancelRun } from "../../runner/cancel-run";
import { getRun, listRuns } from "../../runner/list-runs";
import { protectedProcedure, router } from "../init";

export const RUN_STATES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export const RUN_KINDS = ["backup", "restore", "verify", "binlog", "prune"] as const;

export const runsRouter = router({
  list: protectedProcedure
    .input(
      z.object({
        hostId: z.string().optional(),
        policyId: z.string().optional(),
        state: z.array(z.enum(RUN_STATES)).optional(),
        kind: z.array(z.enum(RUN_KINDS)).optional(),
        from: z.coerce.date().optional(),
        to: z.coerce.date().optional(),
        limit: z.number().int().min(1).max(200).default(50),
        cursor: z.string().optional(),
      }),
    )
    .query(({ input }) => listRuns(input)),
  get: protectedProcedure.input(z.object({ id: z.string().min(1) })).query(({ input }) => getRun(input.id)),
  cancel: protectedProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => cancelRun({ runId: input.id, actor: ctx.user })),
});
