import { test as base, expect, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
import superjson from "superjson";
import { adminStateFile, ADMIN, e2eEnv, type E2EEnv } from "./env";

/** Signs in through next-auth's credentials endpoint (not the form), so the cookie lands in `request`'s context. */
export async function apiLogin(request: APIRequestContext, email: string, password: string) {
  const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const res = await request.post("/api/auth/callback/credentials", {
    form: { csrfToken, email, password, json: "true", callbackUrl: "/" },
    maxRedirects: 0,
  });
  expect([200, 302]).toContain(res.status());
  const session = (await (await request.get("/api/auth/session")).json()) as { user?: { email: string } };
  expect(session.user?.email, `signed in as ${email}`).toBe(email);
}

/** Calls a tRPC procedure over HTTP as whoever `request` is signed in as. */
export async function trpcCall<T = unknown>(request: APIRequestContext, path: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<{ status: number; data?: T; error?: { message: string; data?: { code?: string } } }> {
  const body = superjson.serialize(input);
  const res =
    kind === "query"
      ? await request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(body))}`)
      : await request.post(`/api/trpc/${path}`, { data: body });
  const json = (await res.json()) as { result?: { data: { json: T; meta?: unknown } }; error?: { json: { message: string; data?: { code?: string } } } };
  if (json.error) return { status: res.status(), error: json.error.json };
  return { status: res.status(), data: superjson.deserialize(json.result!.data as never) as T };
}

let seq = 0;
type Role = "admin" | "operator" | "viewer";

export type Fixtures = {
  env: E2EEnv;
  /** An API context signed in as the first admin (created by the setup project). */
  adminApi: APIRequestContext;
  /** Creates a user with a role through the admin API and returns a page signed in as them. */
  pageAs: (role: Role) => Promise<{ page: Page; context: BrowserContext; email: string; password: string }>;
};

export const test = base.extend<Fixtures>({
  env: async ({}, use) => use(e2eEnv()),
  adminApi: async ({ playwright, baseURL }, use) => {
    const ctx = await playwright.request.newContext({ baseURL, storageState: adminStateFile });
    await use(ctx);
    await ctx.dispose();
  },
  pageAs: async ({ browser, adminApi, baseURL }, use) => {
    const opened: BrowserContext[] = [];
    await use(async (role) => {
      const email = `${role}-${Date.now()}-${process.pid}-${++seq}@example.test`;
      const password = "e2e-password-123";
      const r = await trpcCall(adminApi, "users.create", { email, name: `${role} user`, role, password });
      expect(r.error, JSON.stringify(r.error)).toBeUndefined();
      const context = await browser.newContext({ baseURL });
      opened.push(context);
      await apiLogin(context.request, email, password);
      const page = await context.newPage();
      return { page, context, email, password };
    });
    for (const c of opened) await c.close();
  },
});

export { expect, ADMIN };
