import { z } from "zod";
import { previewHostPitr } from "../../pitr/catalog-segments";
import { parseTarget } from "../../pitr/plan";
import { startPitr, startPitrInput } from "../../pitr/start-pitr";
import { getTimeline } from "../../pitr/timeline";
import { protectedProcedure, router } from "../init";

export const pitrTargetInput = z.object({
  hostId: z.string().min(1),
  until: z.string().optional(),
  untilGtid: z.string().optional(),
  untilPosition: z.string().optional(),
});

export const pitrRouter = router({
  timeline: protectedProcedure.input(z.object({ hostId: z.string().min(1) })).query(({ input }) => getTimeline(input.hostId)),
  /** The plan for a target, shown before anything runs. */
  plan: protectedProcedure.input(pitrTargetInput).query(({ input }) => previewHostPitr(input.hostId, parseTarget(input))),
  /** Queues a point-in-time restore (restoring over the source's own databases also needs admin: checked in startPitr). */
  start: protectedProcedure.input(startPitrInput).mutation(({ ctx, input }) => startPitr({ input, actor: ctx.user })),
});
