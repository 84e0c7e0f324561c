import { z } from "zod";
import { storageTargetInput, updateStorageTargetInput } from "../../storage/schemas";
import { createTarget, deleteTarget, getTarget, listTargets, presentTarget, testDraftTarget, testTarget, updateTarget } from "../../storage/manage-targets";
import { protectedProcedure, router } from "../init";

const byId = z.object({ id: z.string().min(1) });

export const storageRouter = router({
  list: protectedProcedure.query(({ ctx }) => listTargets(ctx.user.role)),
  get: protectedProcedure.input(byId).query(({ ctx, input }) => getTarget(input.id, ctx.user.role)),
  create: protectedProcedure.input(storageTargetInput).mutation(async ({ ctx, input }) => presentTarget(await createTarget({ input, actor: ctx.user }), ctx.user.role)),
  update: protectedProcedure
    .input(updateStorageTargetInput)
    .mutation(async ({ ctx, input }) => presentTarget(await updateTarget({ id: input.id, input: input.target, actor: ctx.user }), ctx.user.role)),
  delete: protectedProcedure.input(byId).mutation(({ ctx, input }) => deleteTarget({ id: input.id, actor: ctx.user })),
  test: protectedProcedure.input(byId).mutation(({ ctx, input }) => testTarget({ id: input.id, actor: ctx.user })),
  testDraft: protectedProcedure
    .input(z.object({ id: z.string().optional(), target: storageTargetInput }))
    .mutation(({ input }) => testDraftTarget(input.target, input.id)),
});
