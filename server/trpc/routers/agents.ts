import { z } from "zod";
import { bindHost, createAgent, listAgents, revokeAgent } from "../../agents/manage-agents";
import { protectedProcedure, router } from "../init";

export const agentsRouter = router({
  list: protectedProcedure.query(() => listAgents()),
  create: protectedProcedure
    .input(z.object({ name: z.string().trim().min(1, "Name the agent (e.g. the database host's name).").max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Use letters, digits, dot, dash and underscore.") }))
    .mutation(({ ctx, input }) => createAgent({ name: input.name, actor: ctx.user })),
  revoke: protectedProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => revokeAgent({ id: input.id, actor: ctx.user })),
  bindHost: protectedProcedure
    .input(z.object({ hostId: z.string().min(1, "Choose a host."), agentId: z.string().min(1).nullable() }))
    .mutation(({ ctx, input }) => bindHost({ hostId: input.hostId, agentId: input.agentId, actor: ctx.user })),
});
