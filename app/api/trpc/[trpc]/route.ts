import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/trpc/root";
import { currentUser } from "@/server/auth/session";
import { registerBuiltins } from "@/server/composition-root";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// this route bundle has its own module instances (Next.js), so it registers the builtins too
registerBuiltins();

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => ({ user: await currentUser(), ip: req.headers.get("x-forwarded-for")?.split(",")[0]?.trim() }),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path}:`, error.cause ?? error);
    },
  });

export { handler as GET, handler as POST };
