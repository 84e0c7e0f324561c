import { handleAgentApi } from "@/server/agents/agent-api";
import { registerBuiltins } from "@/server/composition-root";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

registerBuiltins();

/** The runner agents' API (token in Authorization: Bearer); see server/agents/agent-api.ts. */
export async function POST(req: Request, ctx: { params: Promise<{ path: string[] }> }) {
  return handleAgentApi(req, (await ctx.params).path);
}
export const GET = POST;
