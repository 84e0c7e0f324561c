import { ADMIN, apiLogin, expect, test } from "./fixtures";

test("an admin creates an operator and a viewer, changes a role and disables a user", async ({ page }) => {
  await apiLogin(page.context().request, ADMIN.email, ADMIN.password);
  await page.goto("/users");
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();

  const stamp = Date.now();
  for (const role of ["operator", "viewer"] as const) {
    await page.getByRole("button", { name: "Add user" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Email").fill(`${role}.${stamp}@example.test`);
    await dialog.getByLabel("Role").selectOption(role);
    await dialog.getByLabel("Initial password").fill("short");
    await dialog.getByRole("button", { name: "Add user" }).click();
    await expect(dialog.locator('[data-field-error="new-password"]')).toContainText("at least 10");
    await dialog.getByLabel("Initial password").fill("a-good-password-1");
    await dialog.getByRole("button", { name: "Add user" }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId(`user-${role}.${stamp}@example.test`)).toBeVisible();
  }

  // a duplicate email is refused on its field
  await page.getByRole("button", { name: "Add user" }).click();
  await page.getByRole("dialog").getByLabel("Email").fill(`viewer.${stamp}@example.test`);
  await page.getByRole("dialog").getByLabel("Initial password").fill("a-good-password-1");
  await page.getByRole("dialog").getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("dialog").locator('[data-field-error="new-email"]')).toContainText("already exists");
  await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();

  const viewerRow = page.getByTestId(`user-viewer.${stamp}@example.test`);
  await viewerRow.getByLabel(/Role of/).selectOption("operator");
  await expect(viewerRow.getByLabel(/Role of/)).toHaveValue("operator");
  await viewerRow.getByRole("button", { name: "Disable" }).click();
  await expect(viewerRow.getByText("disabled")).toBeVisible();
  await page.screenshot({ path: "test-results/screens/users.png", fullPage: true });

  // the disabled user cannot sign in
  const res = await page.context().browser()!.newContext({ baseURL: page.url().replace(/\/users$/, "") });
  const { csrfToken } = (await (await res.request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  await res.request.post("/api/auth/callback/credentials", { form: { csrfToken, email: `viewer.${stamp}@example.test`, password: "a-good-password-1", json: "true" }, maxRedirects: 0 });
  const session = (await (await res.request.get("/api/auth/session")).json()) as { user?: unknown };
  expect(session.user).toBeUndefined();
  await res.close();

  // and the audit log shows who did what
  await page.goto("/audit");
  await expect(page.getByRole("cell", { name: "user.disable" }).first()).toBeVisible();
  await expect(page.getByRole("cell", { name: ADMIN.email }).first()).toBeVisible();
});
