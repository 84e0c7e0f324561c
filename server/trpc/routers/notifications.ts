import { z } from "zod";
import { createChannel, deleteChannel, listChannels, setChannelEnabled, testChannel } from "../../notify/channels";
import { channelInput } from "../../notify/schemas";
import { protectedProcedure, router } from "../init";

const byId = z.object({ id: z.string().min(1) });

export const notificationsRouter = router({
  list: protectedProcedure.query(() => listChannels()),
  create: protectedProcedure.input(channelInput).mutation(({ ctx, input }) => createChannel({ input, actor: ctx.user })),
  delete: protectedProcedure.input(byId).mutation(({ ctx, input }) => deleteChannel({ id: input.id, actor: ctx.user })),
  setEnabled: protectedProcedure.input(z.object({ id: z.string().min(1), enabled: z.boolean() })).mutation(({ ctx, input }) => setChannelEnabled({ ...input, actor: ctx.user })),
  test: protectedProcedure.input(byId).mutation(({ ctx, input }) => testChannel({ id: input.id, actor: ctx.user })),
});
