import { z } from "zod";
import { listAuditEvents } from "../../audit/list";
import { protectedProcedure, router } from "../init";

export const auditRouter = router({
  list: protectedProcedure
    .input(
      z.object({
        limit: z.number().int().min(1).max(200).default(50),
        cursor: z.number().int().optional(),
        action: z.string().max(64).optional(),
        actor: z.string().max(128).optional(),
        targetType: z.string().max(32).optional(),
      }),
    )
    .query(({ input }) => listAuditEvents(input)),
});
