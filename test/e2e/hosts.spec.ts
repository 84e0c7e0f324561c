import { expect, test } from "./fixtures";

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
  await expect(page.getByRole("heading", { name: new RegExp(name) })).toBeVisible();
  await page.getByRole("button", { name: /Introspect now|Refresh introspection/ }).first().click();
  await expect(page.getByText("Data size per schema")).toBeVisible();
  await expect(page.getByLabel("schema sizes")).toContainText("shop");
  await expect(page.getByTestId("engine-logical")).toContainText("ready");
  await expect(page.getByTestId("engine-clone")).toContainText("MariaDB has no clone plugin");
  await page.screenshot({ path: "test-results/screens/host-detail.png", fullPage: true });

  await page.goto("/hosts");
  await expect(page.getByRole("link", { name })).toBeVisible();
  await page.screenshot({ path: "test-results/screens/hosts.png", fullPage: true });
});
