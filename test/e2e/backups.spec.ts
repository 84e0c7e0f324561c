import { expect, test, trpcCall } from "./fixtures";

test("an operator backs up the sandbox host, watches it finish, restores it under a new name and sees both in history", async ({ pageAs, adminApi, env }) => {
  const stamp = Date.now();
  const host = await trpcCall<{ id: string }>(adminApi, "hosts.create", { name: `shop-${stamp}`, host: "127.0.0.1", port: env.mariadbPort, user: "root", password: "", tlsMode: "disabled" });
  expect(host.error).toBeUndefined();
  await trpcCall(adminApi, "hosts.introspect", { id: host.data!.id });
  const target = await trpcCall<{ id: string }>(adminApi, "storage.create", { kind: "local", name: `bk-${stamp}`, path: `${env.localTargetDir}/bk-${stamp}` });
  expect(target.error).toBeUndefined();

  const { page } = await pageAs("operator");
  await page.goto(`/hosts/${host.data!.id}`);
  await expect(page.getByTestId("engine-selection")).toContainText("logical");
  await page.getByRole("button", { name: "Back up now" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Storage target").selectOption({ label: `bk-${stamp} (${env.localTargetDir}/bk-${stamp})` });
  await dialog.getByLabel("All databases").uncheck();
  await dialog.getByLabel(/^shop \(/).check();
  await dialog.getByRole("button", { name: "Start backup" }).click();

  // the run page shows live progress and then the final state
  await expect(page).toHaveURL(/\/runs\/r/);
  await expect(page.getByTestId("run-progress")).toBeVisible();
  await expect(page.getByText("succeeded").first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("run-log")).toContainText("Succeeded.");
  // the finished run shows what was written, the same amount as the log, not the estimate
  const written = /, ([\d.]+ [KMG]?i?B) of data written/.exec((await page.getByTestId("run-log").textContent()) ?? "")?.[1];
  expect(written, "the log says how much data was written").toBeTruthy();
  await expect(page.getByTestId("run-stat-data-written")).toContainText(`${written} / ${written}`);
  await expect(page.getByTestId("run-stat-throughput-average")).toContainText("/s");
  await expect(page.getByTestId("run-progress")).toContainText("100%");
  // parameters in words, with names instead of ids
  const params = page.getByTestId("run-params");
  await expect(params).toContainText(`bk-${stamp}`);
  await expect(params).toContainText(`shop-${stamp}`);
  await expect(params).toContainText("Databases");
  await expect(params).not.toContainText("targetId");
  await expect(page.getByTestId("run-duration")).toContainText(/run took .* \(start to end\)/);
  await page.screenshot({ path: "test-results/screens/run-backup.png", fullPage: true });
  await page.getByRole("link", { name: "View backup" }).click();
  await expect(page.getByText("Contents")).toBeVisible();
  await expect(page.getByRole("cell", { name: "shop.orders" })).toBeVisible();
  await expect(page.getByTestId("backup-format")).toHaveText("Logical backup set: SQL and data per table, restorable in parallel");
  await expect(page.getByTestId("backup-format")).toHaveAttribute("title", "engine logical, layout logical-set");
  await expect(page.getByTestId("backup-duration")).toContainText(/backup took .* \(engine time\)/);
  await expect(page.getByText("Fingerprint: row count and SHA-256 of the rows in primary-key order.")).toBeVisible();
  await page.screenshot({ path: "test-results/screens/backup-detail.png", fullPage: true });

  // restore under a new name
  await page.getByRole("button", { name: "Restore…" }).click();
  const rd = page.getByRole("dialog");
  await rd.getByLabel("Restore shop as").fill(`shop_copy_${stamp}`);
  await rd.getByRole("button", { name: "Restore", exact: true }).click();
  await expect(page).toHaveURL(/\/runs\/r/);
  await expect(page.getByText("succeeded").first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("run-log")).toContainText(`shop -> shop_copy_${stamp}`);

  // both in history, with filters
  await page.goto("/runs");
  await page.getByLabel("Host").selectOption({ label: `shop-${stamp}` });
  await expect(page.getByRole("link", { name: "Backup", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "Restore", exact: true })).toBeVisible();
  await page.getByLabel("Kind").selectOption("restore");
  await expect(page.getByRole("link", { name: "Backup", exact: true })).toHaveCount(0);
  await page.screenshot({ path: "test-results/screens/runs.png", fullPage: true });

  // the host page draws the backup in its size and duration chart
  await page.goto(`/hosts/${host.data!.id}`);
  await expect(page.getByTestId("backup-history-chart")).toBeVisible();
  await expect(page.getByTestId("history-backup")).toHaveCount(1);
  await page.screenshot({ path: "test-results/screens/host-with-backup.png", fullPage: true });

  // the restored copy is really there
  const facts = await trpcCall<{ result: { ok: boolean; facts: { sizes: { name: string }[] } } }>(adminApi, "hosts.introspect", { id: host.data!.id });
  expect(facts.data!.result.facts.sizes.map((s) => s.name)).toContain(`shop_copy_${stamp}`);
});
