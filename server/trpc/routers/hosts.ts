import { z } from "zod";
import { hostEngines } from "../../hosts/host-engines";
import { getHost, listHosts } from "../../hosts/list-hosts";
import { createHost, deleteHost, introspectHost, updateHost } from "../../hosts/manage-hosts";
import { presentHost } from "../../hosts/present-host";
import { createHostInput, draftConnectionInput, updateHostInput } from "../../hosts/schemas";
import { testDraftConnection, testSavedHost } from "../../hosts/test-connection";
import { protectedProcedure, router } from "../init";

const byId = z.object({ id: z.string().min(1) });

export const hostsRouter = router({
  list: protectedProcedure.query(({ ctx }) => listHosts(ctx.user.role)),
  get: protectedProcedure.input(byId).query(({ ctx, input }) => getHost(input.id, ctx.user.role)),
  engines: protectedProcedure.input(byId.extend({ destination: z.enum(["s3", "local"]).optional() })).query(({ input }) => hostEngines(input.id, input.destination)),
  create: protectedProcedure.input(createHostInput).mutation(async ({ ctx, input }) => presentHost(await createHost({ input, actor: ctx.user }), ctx.user.role)),
  update: protectedProcedure.input(updateHostInput).mutation(async ({ ctx, input }) => presentHost(await updateHost({ input, actor: ctx.user }), ctx.user.role)),
  delete: protectedProcedure.input(byId).mutation(({ ctx, input }) => deleteHost({ hostId: input.id, actor: ctx.user })),
  /** Tests a connection typed in the form (before saving). */
  testConnection: protectedProcedure.input(draftConnectionInput).mutation(({ input }) => testDraftConnection(input)),
  /** Tests a saved host without changing it. */
  testSaved: protectedProcedure.input(byId).mutation(({ input }) => testSavedHost(input.id)),
  introspect: protectedProcedure.input(byId).mutation(async ({ ctx, input }) => {
    const { result, host } = await introspectHost({ hostId: input.id, actor: ctx.user });
    return { result, host: presentHost(host, ctx.user.role) };
  }),
});
