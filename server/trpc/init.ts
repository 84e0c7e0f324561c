import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { PERMISSIONS } from "../auth/permissions";
import { hasRole, type Role } from "../auth/roles";
import { isDomainError, type DomainErrorCode } from "../errors";
import type { SessionUser, TrpcContext } from "./context";

const CODE: Record<DomainErrorCode, TRPCError["code"]> = {
  NOT_FOUND: "NOT_FOUND",
  FORBIDDEN: "FORBIDDEN",
  UNAUTHORIZED: "UNAUTHORIZED",
  INVALID: "BAD_REQUEST",
  CONFLICT: "CONFLICT",
  PRECONDITION: "PRECONDITION_FAILED",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // zod issues flattened per field for forms
        fieldErrors: cause instanceof ZodError ? flattenZod(cause) : isDomainError(cause) && cause.field ? { [cause.field]: [cause.message] } : undefined,
      },
    };
  },
});

function flattenZod(e: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of e.issues) {
    const key = issue.path.join(".") || "_";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

/** Maps domain errors to tRPC errors in one place. */
const mapErrors = t.middleware(async ({ next }) => {
  const res = await next();
  if (!res.ok && isDomainError(res.error.cause)) {
    const de = res.error.cause;
    throw new TRPCError({ code: CODE[de.code], message: de.message, cause: de });
  }
  return res;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** No session needed; still listed in PERMISSIONS as "public". */
export const publicProcedure = t.procedure.use(mapErrors).use(({ path, next }) => {
  if (PERMISSIONS[path] !== "public") throw new TRPCError({ code: "FORBIDDEN", message: `procedure ${path} is not public` });
  return next();
});

/**
 * Needs a signed-in, enabled user whose role is at least what PERMISSIONS says for this path.
 * Narrows ctx.user so procedures never re-check it.
 */
export const protectedProcedure = t.procedure.use(mapErrors).use(({ ctx, path, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first." });
  const min = PERMISSIONS[path];
  if (!min || min === "public") throw new TRPCError({ code: "FORBIDDEN", message: `procedure ${path} has no permission entry` });
  if (!hasRole(ctx.user.role, min as Role)) {
    throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${min} role; you are ${ctx.user.role}. Ask an admin.` });
  }
  return next({ ctx: { ...ctx, user: ctx.user as SessionUser } });
});
