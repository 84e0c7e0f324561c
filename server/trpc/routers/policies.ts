import { z } from "zod";
import { nextRuns } from "../../policies/cron";
import { createPolicy, deletePolicy, getPolicy, listPolicies, updatePolicy } from "../../policies/manage-policies";
import { exportPolicyYaml, importPolicyYaml } from "../../policies/policy-yaml-io";
import { policyInput, updatePolicyInput } from "../../policies/schemas";
import { runPolicyNow } from "../../policies/policy-backup";
import { retentionPlanFor, startPrune } from "../../retention/prune";
import { protectedProcedure, router } from "../init";

const byId = z.object({ id: z.string().min(1) });

export const policiesRouter = router({
  list: protectedProcedure.input(z.object({ hostId: z.string().optional() })).query(({ input }) => listPolicies(input)),
  get: protectedProcedure.input(byId).query(({ input }) => getPolicy(input.id)),
  create: protectedProcedure.input(policyInput).mutation(({ ctx, input }) => createPolicy({ input, actor: ctx.user })),
  update: protectedProcedure.input(updatePolicyInput).mutation(({ ctx, input }) => {
    const { id, ...rest } = input;
    return updatePolicy({ id, input: rest, actor: ctx.user });
  }),
  delete: protectedProcedure.input(byId).mutation(({ ctx, input }) => deletePolicy({ id: input.id, actor: ctx.user })),
  /** The next fire times of a cron expression, for the form's preview. */
  preview: protectedProcedure
    .input(z.object({ schedule: z.string().min(1), timezone: z.string().default("UTC"), count: z.number().int().min(1).max(20).default(5) }))
    .query(({ input }) => nextRuns(input.schedule, input.timezone, input.count)),
  exportYaml: protectedProcedure.input(byId).query(({ input }) => exportPolicyYaml(input.id)),
  importYaml: protectedProcedure.input(z.object({ text: z.string().min(1, "Paste or choose a YAML file.").max(100_000) })).mutation(({ ctx, input }) => importPolicyYaml({ text: input.text, actor: ctx.user })),
  retentionPreview: protectedProcedure.input(byId).query(({ input }) => retentionPlanFor(input.id)),
  runNow: protectedProcedure.input(byId).mutation(({ ctx, input }) => runPolicyNow({ id: input.id, actor: ctx.user })),
  prune: protectedProcedure.input(z.object({ id: z.string().min(1), dryRun: z.boolean().default(false) })).mutation(({ ctx, input }) => startPrune({ policyId: input.id, dryRun: input.dryRun, actor: ctx.user })),
});
