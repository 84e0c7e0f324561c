import os from "node:os";
import { expect, test, trpcCall } from "./fixtures";

test("an admin creates an agent token, the agent registers through the real agent API, the admin binds a host and sees it online", async ({ pageAs, adminApi, env, playwright, baseURL }) => {
  const stamp = Date.now();
  const host = await trpcCall<{ id: string }>(adminApi, "hosts.create", { name: `agentdb-${stamp}`, host: "127.0.0.1", port: env.mariadbPort, user: "root", password: "", tlsMode: "disabled" });
  expect(host.error).toBeUndefined();
  const { page } = await pageAs("admin");
  await page.goto("/agents");
  await page.getByLabel("New agent").fill(`db-${stamp}`);
  await page.getByRole("button", { name: "Create agent token" }).click();
  const token = (await page.getByTestId("agent-token").textContent())!.trim();
  expect(token).toMatch(/^dbba_[A-Za-z0-9_-]{43}$/);
  const row = page.getByTestId(`agent-db-${stamp}`);
  await expect(row.getByTestId("agent-status")).toContainText("not registered yet");

  // the agent's side: its token on the real /api/agent endpoints, no session cookie
  const agentApi = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  const forged = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { authorization: "Bearer dbba_forged" } });
  expect((await forged.post("/api/agent/register", { data: {} })).status()).toBe(401);
  const reg = await agentApi.post("/api/agent/register", {
    data: { hostname: os.hostname(), version: "0.1.0", facts: { platform: "e2e", tools: { "mariadb-backup": "/usr/bin/mariadb-backup", btrfs: "/usr/bin/btrfs", xtrabackup: null }, datadirs: [{ path: "/var/lib/mysql", filesystem: "btrfs" }] } },
  });
  expect(reg.status()).toBe(200);
  expect(((await reg.json()) as { name: string }).name).toBe(`db-${stamp}`);

  await expect(row.getByTestId("agent-status")).toContainText("online", { timeout: 15_000 });
  await expect(row).toContainText("mariadb-backup");
  await expect(row).toContainText("/var/lib/mysql (btrfs)");
  await row.getByLabel(`Host to bind to db-${stamp}`).selectOption({ label: `agentdb-${stamp}` });
  await row.getByRole("button", { name: "Bind" }).click();
  await expect(row.getByTestId("agent-hosts")).toContainText(`agentdb-${stamp}`);
  // the agent now learns its host from its heartbeat
  const hb = (await (await agentApi.post("/api/agent/heartbeat", { data: {} })).json()) as { hosts: { name: string }[] };
  expect(hb.hosts.map((h) => h.name)).toEqual([`agentdb-${stamp}`]);
  await page.screenshot({ path: "test-results/screens/agents.png", fullPage: true });

  // a viewer sees the agent but no admin controls
  const viewer = await pageAs("viewer");
  await viewer.page.goto("/agents");
  await expect(viewer.page.getByTestId(`agent-db-${stamp}`)).toContainText("online");
  await expect(viewer.page.getByRole("button", { name: "Create agent token" })).toHaveCount(0);
  await expect(viewer.page.getByRole("button", { name: "Revoke" })).toHaveCount(0);

  // revoking locks the token out
  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row.getByTestId("agent-status")).toContainText("revoked");
  expect((await agentApi.post("/api/agent/heartbeat", { data: {} })).status()).toBe(403);
  await agentApi.dispose();
  await forged.dispose();
});
