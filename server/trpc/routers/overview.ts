import { getOverview } from "../../overview/overview";
import { protectedProcedure, router } from "../init";

export const overviewRouter = router({
  get: protectedProcedure.query(() => getOverview()),
});
