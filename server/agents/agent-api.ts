import { z } from "zod";
import { DomainError, errorMessage, isDomainError, type DomainErrorCode } from "../errors";
import { logger } from "../logging/logger";
import { agentHeartbeat, authenticateAgent, claimRun, finishRun, recordWorkspace, reportProgress } from "./agent-runs";
import { bearerToken } from "./tokens";
import { archiveSegmentBody, archiverStateBody, reportArchiveSegment, reportArchiverState } from "./archive-on-agent";
import { completeCleanup } from "./agent-cleanups";

// The runner agents' HTTP API (app/api/agent/[...path]/route.ts serves it; tests serve the same
// handler from a plain node:http server). Every call carries the agent token; run calls carry the
// run's fence. Web Request in, Response out, no framework.

const STATUS: Record<DomainErrorCode, number> = { NOT_FOUND: 404, FORBIDDEN: 403, UNAUTHORIZED: 401, INVALID: 400, CONFLICT: 409, PRECONDITION: 412, UNAVAILABLE: 503, TOO_MANY_REQUESTS: 429, INTERNAL: 500 };

const logLine = z.object({ level: z.enum(["info", "warn", "error"]), message: z.string().max(8000) });
const progress = z.record(z.string(), z.unknown()).optional();
const heartbeatBody = z.object({
  hostname: z.string().max(255).optional(),
  version: z.string().max(64).optional(),
  facts: z.object({ platform: z.string().optional(), tools: z.record(z.string(), z.string().nullable()).optional(), datadirs: z.array(z.object({ path: z.string(), filesystem: z.string().nullable() })).optional() }).optional(),
});
const claimBody = z.object({ attempt: z.number().int().min(1), publicKey: z.string().min(16).max(200) });
const progressBody = z.object({ fence: z.number().int(), progress, logs: z.array(logLine).max(500).optional() });
const finishBody = z.discriminatedUnion("outcome", [
  z.object({ fence: z.number().int(), outcome: z.literal("succeeded"), manifest: z.any(), manifestSha256: z.string().regex(/^[0-9a-f]{64}$/), facts: z.any().optional(), progress, result: z.record(z.string(), z.unknown()).optional() }),
  z.object({ fence: z.number().int(), outcome: z.enum(["failed", "cancelled"]), error: z.string().max(8000), retryable: z.boolean().optional(), progress }),
  z.object({
    fence: z.number().int(),
    outcome: z.literal("verified"),
    checks: z.array(z.object({ name: z.string().max(100), ok: z.boolean(), detail: z.string().max(8000), ms: z.number(), skipped: z.boolean().optional() })).min(1).max(50),
    durationMs: z.number().int().min(0),
    restoreMs: z.number().int().min(0).nullable().optional(),
    progress,
  }),
  z.object({ fence: z.number().int(), outcome: z.literal("restored"), result: z.record(z.string(), z.unknown()), progress }),
  z.object({ fence: z.number().int(), outcome: z.literal("archived"), stoppedAt: z.object({ file: z.string().max(255), position: z.number().int(), gtid: z.string().max(100_000).nullable() }), progress }),
]);
const workspaceBody = z.object({ fence: z.number().int(), workspace: z.object({ targetHostId: z.string().min(1).max(100), created: z.array(z.string().min(1).max(64)).max(10_000) }) });
const cleanupDoneBody = z.object({ ok: z.boolean(), error: z.string().max(8000).optional(), removed: z.number().int().min(0).optional() });

async function body<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  let json: unknown;
  try {
    json = await req.json();
  } catch {
    throw new DomainError("INVALID", "The request body is not JSON.");
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new DomainError("INVALID", `Bad request body: ${r.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ")}`);
  return r.data;
}

/** Serves /api/agent/<path>. `path` is the part after /api/agent/. */
export async function handleAgentApi(req: Request, path: string[]): Promise<Response> {
  try {
    if (req.method !== "POST") throw new DomainError("NOT_FOUND", `Use POST for /api/agent/${path.join("/")}.`);
    const agent = await authenticateAgent(bearerToken(req.headers.get("authorization")));
    const [a, b, c] = path;
    if (a === "register" && path.length === 1) return Response.json(await agentHeartbeat(agent, { ...(await body(req, heartbeatBody)), register: true }));
    if (a === "heartbeat" && path.length === 1) return Response.json(await agentHeartbeat(agent, await body(req, heartbeatBody)));
    if (a === "runs" && b && path.length === 3) {
      if (c === "claim") return Response.json(await claimRun(agent, b, await body(req, claimBody)));
      if (c === "workspace") return Response.json(await recordWorkspace(agent, b, await body(req, workspaceBody)));
      if (c === "progress") return Response.json(await reportProgress(agent, b, await body(req, progressBody)));
      if (c === "finish") return Response.json(await finishRun(agent, b, (await body(req, finishBody)) as Parameters<typeof finishRun>[2]));
      if (c === "segment") return Response.json(await reportArchiveSegment(agent, b, await body(req, archiveSegmentBody)));
      if (c === "archiver-state") return Response.json(await reportArchiverState(agent, b, await body(req, archiverStateBody)));
    }
    if (a === "cleanups" && b && c === "done" && path.length === 3) return Response.json(await completeCleanup(agent, b, await body(req, cleanupDoneBody)));
    throw new DomainError("NOT_FOUND", `No agent API endpoint at /api/agent/${path.join("/")}: register, heartbeat, runs/<id>/claim|progress|workspace|finish|segment|archiver-state, cleanups/<id>/done.`);
  } catch (e) {
    if (isDomainError(e)) return Response.json({ error: e.code, message: e.message }, { status: STATUS[e.code] });
    if (e instanceof z.ZodError) return Response.json({ error: "INVALID", message: `The manifest is not valid: ${e.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` }, { status: 400 });
    logger.error({ err: errorMessage(e), path: path.join("/") }, "agent API call failed");
    return Response.json({ error: "INTERNAL", message: `The dashboard failed on /api/agent/${path.join("/")}: ${errorMessage(e)}` }, { status: 500 });
  }
}
