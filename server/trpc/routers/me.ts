import { z } from "zod";
import { changeOwnPassword } from "../../users/update-user";
import { passwordSchema } from "../../users/schemas";
import { protectedProcedure, router } from "../init";

export const meRouter = router({
  get: protectedProcedure.query(({ ctx }) => ctx.user),
  changePassword: protectedProcedure
    .input(z.object({ currentPassword: z.string().min(1, "Enter your current password."), newPassword: passwordSchema }))
    .mutation(({ ctx, input }) => changeOwnPassword({ userId: ctx.user.id, ...input, actor: ctx.user })),
});
