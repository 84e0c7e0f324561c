import fs from "node:fs";
import path from "node:path";
import { expect, test, trpcCall } from "./fixtures";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Run = { state: string; error: string | null };
type BackupRow = { id: string; location: string; backupKind: string; parentBackupId: string | null };

test("a viewer sees mariabackup chains with their LSN ranges, and the backups after a lost link marked not restorable", async ({ pageAs, adminApi, env }) => {
  test.setTimeout(240_000);
  const stamp = Date.now();
  const host = await trpcCall<{ id: string }>(adminApi, "hosts.create", { name: `chain-${stamp}`, host: "127.0.0.1", port: env.mariadbPort, user: "root", password: "", tlsMode: "disabled" });
  expect(host.error).toBeUndefined();
  const hostId = host.data!.id;
  await trpcCall(adminApi, "hosts.introspect", { id: hostId });
  const dir = `${env.localTargetDir}/chain-${stamp}`;
  const target = await trpcCall<{ id: string }>(adminApi, "storage.create", { kind: "local", name: `chain-t-${stamp}`, path: dir });
  expect(target.error).toBeUndefined();

  const backup = async (backupKind: string) => {
    const r = await trpcCall<{ id: string }>(adminApi, "backups.start", { hostId, targetId: target.data!.id, engine: "mariabackup", backupKind, parallel: 2 });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    for (let i = 0; ; i++) {
      const run = (await trpcCall<Run>(adminApi, "runs.get", { id: r.data!.id }, "query")).data!;
      if (run.state === "succeeded") return;
      if (run.state === "failed" || i > 240) throw new Error(`backup ${backupKind}: ${run.state} ${run.error}`);
      await sleep(500);
    }
  };
  await backup("full");
  await backup("incremental");
  await backup("incremental");
  const list = (await trpcCall<{ items: BackupRow[] }>(adminApi, "backups.list", { hostId }, "query")).data!.items;
  const full = list.find((b) => b.backupKind === "full")!;
  const i1 = list.find((b) => b.parentBackupId === full.id)!;
  const i2 = list.find((b) => b.parentBackupId === i1.id)!;
  expect(i2).toBeTruthy();

  const { page } = await pageAs("viewer");
  await page.goto(`/hosts/${hostId}/backups`);
  await expect(page.getByTestId(`chain-${full.id}`)).toContainText(/full\s*LSN ≤ \d+/);
  await expect(page.getByTestId(`chain-${i1.id}`)).toContainText(new RegExp(`incremental\\s*of\\s*${full.id.slice(-8)}\\s*LSN \\d+ → \\d+`));
  await expect(page.getByTestId(`chain-${i2.id}`)).toContainText(`of ${i1.id.slice(-8)}`);
  await expect(page.getByText("not restorable: chain broken")).toHaveCount(0);

  // the middle link's objects are lost; the next verification of the last one finds it before restoring
  fs.rmSync(path.join(dir, i1.location), { recursive: true, force: true });
  const v = await trpcCall<{ id: string }>(adminApi, "verifications.start", { backupId: i2.id });
  expect(v.error, JSON.stringify(v.error)).toBeUndefined();
  for (let i = 0; ; i++) {
    const run = (await trpcCall<Run>(adminApi, "runs.get", { id: v.data!.id }, "query")).data!;
    if (run.state === "failed") {
      expect(run.error).toContain(`broken at ${i1.id}`);
      break;
    }
    if (run.state === "succeeded" || i > 240) throw new Error(`verification ${run.state}`);
    await sleep(500);
  }

  await page.reload();
  await expect(page.getByTestId(`backup-row-${i1.id}`)).toContainText("not restorable: chain broken");
  await expect(page.getByTestId(`backup-row-${i2.id}`)).toContainText("not restorable: chain broken");
  await expect(page.getByTestId(`backup-row-${full.id}`)).not.toContainText("not restorable");
  await page.screenshot({ path: "test-results/screens/backup-chains-list.png", fullPage: true });

  await page.goto(`/backups/${i2.id}`);
  await expect(page.getByText("This backup cannot be restored: a link of its chain is missing or damaged")).toBeVisible();
  const links = page.getByTestId("chain-links").locator("li");
  await expect(links).toHaveCount(3);
  await expect(links.nth(0)).toContainText(full.id);
  await expect(links.nth(1)).toContainText(i1.id);
  await expect(links.nth(2)).toContainText(i2.id);

  await page.goto(`/hosts/${hostId}/timeline`);
  await expect(page.getByTestId("pitr-timeline")).toBeVisible();
  // the restorable full is a restore point; both incrementals are drawn as not restorable
  await expect(page.getByTestId("timeline-backup")).toHaveCount(1);
  await expect(page.getByTestId("timeline-not-restorable")).toHaveCount(2);
  await page.screenshot({ path: "test-results/screens/backup-chains-timeline.png", fullPage: true });
});
