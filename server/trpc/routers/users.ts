import { z } from "zod";
import { createUser } from "../../users/create-user";
import { listUsers } from "../../users/list-users";
import { createUserInput, passwordSchema, roleSchema } from "../../users/schemas";
import { resetUserPassword, setUserDisabled, setUserRole } from "../../users/update-user";
import { protectedProcedure, router } from "../init";

export const usersRouter = router({
  list: protectedProcedure.query(() => listUsers()),
  create: protectedProcedure.input(createUserInput).mutation(({ ctx, input }) => createUser({ ...input, actor: ctx.user })),
  setRole: protectedProcedure
    .input(z.object({ userId: z.string().min(1), role: roleSchema }))
    .mutation(({ ctx, input }) => setUserRole({ ...input, actor: ctx.user })),
  setDisabled: protectedProcedure
    .input(z.object({ userId: z.string().min(1), disabled: z.boolean() }))
    .mutation(({ ctx, input }) => setUserDisabled({ ...input, actor: ctx.user })),
  resetPassword: protectedProcedure
    .input(z.object({ userId: z.string().min(1), password: passwordSchema }))
    .mutation(({ ctx, input }) => resetUserPassword({ ...input, actor: ctx.user })),
});
