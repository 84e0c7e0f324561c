import { z } from "zod";
import { listVerifications } from "../../verify/list-verifications";
import { startDrill, startVerify } from "../../verify/start-verify";
import { protectedProcedure, router } from "../init";

export const verificationsRouter = router({
  list: protectedProcedure
    .input(z.object({ hostId: z.string().optional(), backupId: z.string().optional(), result: z.enum(["passed", "failed"]).optional(), limit: z.number().int().min(1).max(500).default(100) }))
    .query(({ input }) => listVerifications(input)),
  start: protectedProcedure
    .input(z.object({ backupId: z.string().min(1), verificationHostId: z.string().nullish() }))
    .mutation(({ ctx, input }) => startVerify({ ...input, actor: ctx.user })),
  drill: protectedProcedure.input(z.object({ hostId: z.string().min(1) })).mutation(({ ctx, input }) => startDrill({ hostId: input.hostId, actor: ctx.user })),
});
