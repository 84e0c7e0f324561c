import { expect, test, trpcCall } from "./fixtures";

test("an operator creates a policy, sees its next run times, verifies a backup and the overview updates", async ({ pageAs, adminApi, env }) => {
  const stamp = Date.now();
  const host = await trpcCall<{ id: string }>(adminApi, "hosts.create", { name: `pol-${stamp}`, host: "127.0.0.1", port: env.mariadbPort, user: "root", password: "", tlsMode: "disabled" });
  await trpcCall(adminApi, "hosts.introspect", { id: host.data!.id });
  await trpcCall(adminApi, "storage.create", { kind: "local", name: `pt-${stamp}`, path: `${env.localTargetDir}/pt-${stamp}` });

  const { page } = await pageAs("operator");
  await page.goto("/policies/new");
  await page.getByLabel("Name").fill(`nightly ${stamp}`);
  await page.getByLabel("Host").selectOption({ label: `pol-${stamp}` });
  await page.getByLabel("Storage target").selectOption({ label: `pt-${stamp}` });
  await page.getByLabel("Engine").selectOption("logical");
  await page.getByLabel("Schedule (cron)").fill("bad cron");
  await expect(page.getByText(/Not a valid cron expression/)).toBeVisible();
  await page.getByRole("button", { name: "Every day at 03:00" }).click();
  await page.getByLabel("Time zone").fill("Europe/Berlin");
  await expect(page.getByTestId("schedule-preview")).toContainText("Next runs");
  await page.getByLabel("Keep last").fill("5");
  await page.getByLabel("Verify by restore (cron, optional)").fill("0 6 * * 0");
  await page.screenshot({ path: "test-results/screens/policy-form.png", fullPage: true });
  await page.getByRole("button", { name: "Create policy" }).click();

  await expect(page.getByRole("heading", { name: `nightly ${stamp}` })).toBeVisible();
  const upcoming = page.getByTestId("upcoming-runs").locator("li");
  await expect(upcoming).toHaveCount(5);
  await expect(page.getByTestId("retention-preview")).toContainText("No backups yet");

  // run it now, then verify the backup from its page
  await page.getByRole("button", { name: "Run now" }).click();
  await expect(page.getByText("succeeded").first()).toBeVisible({ timeout: 60_000 });
  await page.getByRole("link", { name: "View backup" }).click();
  await page.getByRole("button", { name: "Verify now" }).click();
  await expect(page).toHaveURL(/\/runs\/r/);
  await expect(page.getByText("succeeded").first()).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId("run-log")).toContainText("✓ fingerprints");
  await page.goto("/verifications");
  await expect(page.getByTestId("verification-checks").first()).toContainText("fingerprints");
  await page.screenshot({ path: "test-results/screens/verifications.png", fullPage: true });

  // the overview shows the host with its last backup and verification
  await page.goto("/");
  const card = page.getByTestId(`overview-pol-${stamp}`);
  await expect(card).toContainText("passed");
  await expect(card).toContainText(/RTO/);
  await page.screenshot({ path: "test-results/screens/overview.png", fullPage: true });
  await page.goto("/policies");
  await expect(page.getByTestId(`policy-nightly ${stamp}`)).toContainText("succeeded");
  await page.screenshot({ path: "test-results/screens/policies.png", fullPage: true });

  // the policy's page draws its backup in the size and duration chart
  await page.getByRole("link", { name: `nightly ${stamp}` }).click();
  await expect(page.getByTestId("backup-history-chart")).toBeVisible();
  await expect(page.getByTestId("history-backup")).toHaveCount(1);
  await page.screenshot({ path: "test-results/screens/policy-detail.png", fullPage: true });
});
