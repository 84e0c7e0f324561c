import { z } from "zod";
import { createFirstAdmin, needsSetup } from "../../users/setup";
import { emailSchema, passwordSchema } from "../../users/schemas";
import { publicProcedure, router } from "../init";

export const setupRouter = router({
  status: publicProcedure.query(async () => ({ needsSetup: await needsSetup() })),
  createFirstAdmin: publicProcedure
    .input(z.object({ email: emailSchema, name: z.string().trim().max(100).default(""), password: passwordSchema }))
    .mutation(({ input }) => createFirstAdmin({ ...input, via: "setup-page" })),
});
