import { expect, test, trpcCall } from "./fixtures";

test("a viewer sees no mutation controls and a direct API call is rejected", async ({ pageAs, adminApi, env }) => {
  // a host to look at, registered by the admin through the API
  const name = `viewer-host-${Date.now()}`;
  const created = await trpcCall<{ id: string }>(adminApi, "hosts.create", { name, host: "127.0.0.1", port: env.mariadbPort, user: "root", password: "", tlsMode: "disabled" });
  expect(created.error).toBeUndefined();

  const { page, context } = await pageAs("viewer");
  await page.goto("/hosts");
  await expect(page.getByRole("link", { name })).toBeVisible();
  await expect(page.getByRole("link", { name: "Add host" })).toHaveCount(0);
  await page.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name: new RegExp(name) })).toBeVisible();
  for (const label of ["Edit", "Delete", "Refresh introspection", "Introspect now"]) {
    await expect(page.getByRole("button", { name: label })).toHaveCount(0);
    await expect(page.getByRole("link", { name: label })).toHaveCount(0);
  }
  // no connection credentials, even in the facts introspected when the host was created
  await expect(page.getByText("Data size per schema")).toBeVisible();
  await expect(page.getByText("root@")).toHaveCount(0);
  await page.goto("/storage");
  await expect(page.getByRole("link", { name: "Add target" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
  await page.screenshot({ path: "test-results/screens/viewer-storage.png", fullPage: true });

  // the server refuses what the UI hides
  const del = await trpcCall(context.request, "hosts.delete", { id: created.data!.id });
  expect(del.status).toBe(403);
  expect(del.error?.data?.code).toBe("FORBIDDEN");
  const mk = await trpcCall(context.request, "users.create", { email: "x@example.test", role: "admin", password: "long-enough-pass" });
  expect(mk.error?.data?.code).toBe("FORBIDDEN");
  // and an anonymous caller is asked to sign in
  const anon = await trpcCall(await (await context.browser()!.newContext({ baseURL: page.url().split("/storage")[0] })).request, "hosts.list", undefined, "query");
  expect(anon.error?.data?.code).toBe("UNAUTHORIZED");
});
