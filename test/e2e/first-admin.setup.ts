import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { adminStateFile, ADMIN } from "./env";

// The one test of the setup and sign-in forms themselves; every other test signs in through the API.
test("first visit asks for the first admin, then signs in; logout and login work", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Create the first admin" })).toBeVisible();

  // a short password is refused on its field
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Confirm password").fill("short");
  await page.getByRole("button", { name: "Create admin and sign in" }).click();
  await expect(page.locator('[data-field-error="password"]')).toContainText("at least 10 characters");

  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Confirm password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create admin and sign in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("current-user")).toHaveText(ADMIN.email);
  await page.screenshot({ path: "test-results/screens/overview-empty.png", fullPage: true });

  // setup cannot be replayed once an admin exists
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login$|\/$/);

  // logout, then a wrong password is refused, then the right one signs in
  await page.goto("/");
  const signedOut = page.waitForResponse((r) => r.url().includes("/api/auth/signout") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Sign out" }).click();
  expect((await signedOut).ok()).toBe(true);
  await expect(page).toHaveURL(/\/login/);
  // sign-out ends with a full navigation to /login that can land after the URL already reads
  // /login (a slow machine saw it wipe the filled form): start from a load of our own
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong" })).toContainText("Wrong email or password");
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();

  fs.mkdirSync(path.dirname(adminStateFile), { recursive: true });
  await page.context().storageState({ path: adminStateFile });
});
