import path from "node:path";
import { expect, test } from "./fixtures";

test("an admin adds a local and an S3 target and tests both", async ({ pageAs, env }) => {
  const { page } = await pageAs("admin");
  const stamp = Date.now();

  await page.goto("/storage/new");
  await page.getByLabel("Name").fill(`local-${stamp}`);
  await page.getByLabel("Directory").fill("relative/path");
  await page.getByRole("button", { name: "Add target" }).click();
  await expect(page.locator('[data-field-error="path"]')).toContainText("absolute path");
  await page.getByLabel("Directory").fill(path.join(env.localTargetDir, `t${stamp}`));
  await page.getByRole("button", { name: "Test", exact: true }).click();
  await expect(page.getByTestId("storage-test-ok")).toBeVisible();
  await page.getByRole("button", { name: "Add target" }).click();
  await expect(page).toHaveURL(/\/storage$/);

  await page.goto("/storage/new");
  await page.getByRole("radio", { name: /S3 or S3-compatible/ }).click();
  await page.getByLabel("Name").fill(`s3-${stamp}`);
  await page.getByLabel("Endpoint").fill(env.s3Endpoint);
  await page.getByLabel("Bucket").fill("missing-bucket");
  await page.getByLabel("Prefix").fill(`run-${stamp}`);
  await page.getByLabel("Access key id").fill("S3RVER");
  await page.getByLabel("Secret access key").fill("not-checked-by-s3rver");
  await page.getByLabel("Path-style addressing").check();
  await page.getByRole("button", { name: "Test", exact: true }).click();
  await expect(page.getByTestId("storage-test-error")).toContainText("does not exist");
  await page.getByLabel("Bucket").fill(env.s3Bucket);
  await page.getByRole("button", { name: "Test", exact: true }).click();
  await expect(page.getByTestId("storage-test-ok")).toContainText(`s3://${env.s3Bucket}/run-${stamp}/`);
  await page.getByRole("button", { name: "Add target" }).click();
  await expect(page).toHaveURL(/\/storage$/);

  const row = page.getByTestId(`target-s3-${stamp}`);
  await row.getByRole("button", { name: "Test" }).click();
  await expect(page.getByTestId("storage-test-ok").first()).toBeVisible();
  await expect(row.getByText(/^ok/)).toBeVisible();
  await page.screenshot({ path: "test-results/screens/storage.png", fullPage: true });
});
