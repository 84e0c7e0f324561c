export const dynamic = "force-dynamic";

function notFound(req: Request) {
  const path = new URL(req.url).pathname;
  return Response.json({ error: "not_found", message: `No API endpoint at ${path}. See /api/health, /api/metrics and /api/trpc.` }, { status: 404 });
}
export { notFound as GET, notFound as POST, notFound as PUT, notFound as DELETE, notFound as PATCH };
