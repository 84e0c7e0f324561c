import { expect, test, trpcCall } from "./fixtures";

test("an admin registers the sandbox host, tests the connection and sees its introspection", async ({ pageAs, env }) => {
  const { page } = await pageAs("admin");
  await page.goto("/hosts");
  await page.getByRole("link", { name: "Add host" }).first().click();
  await expect(page.getByRole("heading", { name: "Add a database host" })).toBeVisible();
  const name = `sandbox-${Date.now()}`;

  // bad input: invalid port and missing user are reported on their fields, nothing saved
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Host", { exact: true }).fill("127.0.0.1");
  await page.getByLabel("Port").fill("99999");
  await page.getByRole("button", { name: "Add host" }).click();
  await expect(page.locator('[data-field-error="port"]')).toContainText("between 1 and 65535");
  await expect(page.locator('[data-field-error="user"]')).toContainText("Enter the user");

  // a wrong port: the test names the cause
  await page.getByLabel("Port").fill("1");
  await page.getByLabel("User").fill("root");
  await page.getByLabel("TLS").selectOption("disabled");
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId("connection-error")).toContainText("Connection refused by 127.0.0.1:1");

  await page.getByLabel("Port").fill(String(env.mariadbPort));
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId("connection-ok")).toContainText("MariaDB 10.11");
  await expect(page.getByTestId("connection-ok")).toContainText("binlog on (ROW)");
  await page.screenshot({ path: "test-results/screens/host-form.png", fullPage: true });

  await page.getByRole("button", { name: "Add host" }).click();
  const heading = page.getByRole("heading", { name: new RegExp(name) });
  await expect(heading).toBeVisible();
  // introspected as part of the create: facts right away, no environment nobody chose
  await expect(page.getByText("Data size per schema")).toBeVisible();
  await expect(page.getByText("Not introspected yet")).toHaveCount(0);
  await expect(heading).not.toContainText("production");
  await expect(page.getByTestId("introspection-error")).toHaveCount(0);
  // one button to introspect again, and the chart's empty state until the first backup
  await expect(page.getByRole("button", { name: "Refresh introspection" })).toHaveCount(0);
  await page.getByRole("button", { name: "Introspect now" }).click();
  await expect(page.getByText("No backups yet")).toBeVisible();
  await expect(page.getByLabel("schema sizes")).toContainText("shop");
  await expect(page.getByTestId("engine-logical")).toContainText("ready");
  await expect(page.getByTestId("engine-clone")).toContainText("MariaDB has no clone plugin");
  await page.screenshot({ path: "test-results/screens/host-detail.png", fullPage: true });

  await page.goto("/hosts");
  await expect(page.getByRole("link", { name })).toBeVisible();
  await page.screenshot({ path: "test-results/screens/hosts.png", fullPage: true });
});

test("a host whose user cannot sign in is saved, and its page says why it has no facts", async ({ pageAs, adminApi, env }) => {
  const name = `denied-${Date.now()}`;
  const created = await trpcCall<{ id: string; introspectionError: string | null }>(adminApi, "hosts.create", { name, host: "127.0.0.1", port: env.mariadbPort, user: "no_such_user", password: "nope-nope", tlsMode: "disabled" });
  expect(created.error).toBeUndefined();
  const { page } = await pageAs("viewer");
  await page.goto(`/hosts/${created.data!.id}`);
  await expect(page.getByTestId("introspection-error")).toContainText(/Access denied/i);
  await expect(page.getByText("dbbackup cannot connect to this host")).toBeVisible();
  await page.screenshot({ path: "test-results/screens/host-denied.png", fullPage: true });
});

test("Back up now on a host never reached offers the logical engine and says why the rest is unknown", async ({ pageAs, adminApi }) => {
  const name = `unreached-${Date.now()}`;
  const created = await trpcCall<{ id: string }>(adminApi, "hosts.create", { name, host: "127.0.0.1", port: 1, user: "root", tlsMode: "disabled" });
  expect(created.error).toBeUndefined();
  const { page } = await pageAs("operator");
  await page.goto(`/hosts/${created.data!.id}`);
  await page.getByRole("button", { name: "Back up now" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("status").filter({ hasText: "has not been reached yet" })).toContainText("only logical is offered");
  // the select shows what will be sent: logical, not a disabled "auto"
  await expect(dialog.getByLabel("Engine")).toHaveValue("logical");
  await expect(dialog.getByRole("option", { name: /^auto/ })).toBeDisabled();
  await page.screenshot({ path: "test-results/screens/backup-now-unreached.png", fullPage: true });
});

test("the sign-in page loads without a single 404", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const missing: string[] = [];
  page.on("response", (r) => {
    if (r.status() === 404) missing.push(r.url());
  });
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await page.waitForLoadState("networkidle");
  expect(missing).toEqual([]);
  await page.screenshot({ path: "test-results/screens/login.png", fullPage: true });
  await context.close();
});
