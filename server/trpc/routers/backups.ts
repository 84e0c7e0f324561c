import { z } from "zod";
import { deleteBackup } from "../../backups/delete-backup";
import { getBackup, getBackupManifest, listBackups } from "../../backups/list-backups";
import { startBackupInput, startRestoreInput } from "../../backups/schemas";
import { startBackup } from "../../backups/start-backup";
import { startRestore } from "../../restore/start-restore";
import { protectedProcedure, router } from "../init";

const byId = z.object({ id: z.string().min(1) });

export const backupsRouter = router({
  list: protectedProcedure
    .input(z.object({ hostId: z.string().optional(), policyId: z.string().optional(), state: z.enum(["complete", "deleted"]).optional(), limit: z.number().int().min(1).max(200).default(50), cursor: z.string().optional() }))
    .query(({ input }) => listBackups(input)),
  get: protectedProcedure.input(byId).query(({ input }) => getBackup(input.id)),
  manifest: protectedProcedure.input(byId).query(({ input }) => getBackupManifest(input.id)),
  start: protectedProcedure.input(startBackupInput).mutation(({ ctx, input }) => startBackup({ input, actor: ctx.user })),
  restore: protectedProcedure.input(startRestoreInput).mutation(({ ctx, input }) => startRestore({ input, actor: ctx.user })),
  delete: protectedProcedure.input(byId).mutation(({ ctx, input }) => deleteBackup({ backupId: input.id, actor: ctx.user })),
});
