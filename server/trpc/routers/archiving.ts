import { z } from "zod";
import { startArchiving, stopArchiving } from "../../archive-runs/manage-archiving";
import { protectedProcedure, router } from "../init";

export const archivingRouter = router({
  start: protectedProcedure
    .input(z.object({ hostId: z.string().min(1), targetId: z.string().min(1, "Choose a storage target."), rotateSize: z.coerce.number().int().min(1048576, "At least 1 MiB.").nullish(), compress: z.boolean().default(true) }))
    .mutation(({ ctx, input }) => startArchiving({ ...input, actor: ctx.user })),
  stop: protectedProcedure.input(z.object({ hostId: z.string().min(1) })).mutation(({ ctx, input }) => stopArchiving({ hostId: input.hostId, actor: ctx.user })),
});
