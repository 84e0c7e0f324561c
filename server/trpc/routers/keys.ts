import { z } from "zod";
import { createEncryptionKey, exportEncryptionKey, listEncryptionKeys } from "../../backup-keys/manage-keys";
import { protectedProcedure, router } from "../init";

export const keysRouter = router({
  list: protectedProcedure.query(() => listEncryptionKeys()),
  create: protectedProcedure
    .input(z.object({ name: z.string().trim().min(1, "Name the key.").max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Use letters, digits, dot, dash and underscore.") }))
    .mutation(({ ctx, input }) => createEncryptionKey({ name: input.name, actor: ctx.user })),
  export: protectedProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => exportEncryptionKey({ id: input.id, actor: ctx.user })),
});
