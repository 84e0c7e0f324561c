import { renderMetrics } from "@/server/metrics/registry";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Prometheus metrics. Set DBBACKUP_METRICS_TOKEN to require "Authorization: Bearer <token>". */
export async function GET(req: Request) {
  const token = process.env.DBBACKUP_METRICS_TOKEN;
  if (token && req.headers.get("authorization") !== `Bearer ${token}`) {
    return Response.json({ error: "unauthorized", message: "Send Authorization: Bearer <DBBACKUP_METRICS_TOKEN>." }, { status: 401 });
  }
  const { body, contentType } = await renderMetrics();
  return new Response(body, { headers: { "content-type": contentType } });
}
