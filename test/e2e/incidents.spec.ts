import mysql from "mysql2/promise";
import { expect, test, trpcCall } from "./fixtures";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function poll<T>(fn: () => Promise<T | null | undefined | false>, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

test("find the DROP TABLE on the timeline and restore to just before it", async ({ pageAs, adminApi, env }) => {
  test.setTimeout(180_000);
  const stamp = Date.now();
  const db = `inc_${stamp}`;
  const conn = await mysql.createConnection({ host: "127.0.0.1", port: env.mariadbPort, user: "root", multipleStatements: true });
  await conn.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.orders (id INT PRIMARY KEY, amount DECIMAL(10,2)); INSERT INTO ${db}.orders SELECT seq, seq * 1.25 FROM ${db}.seq_1_to_300`);

  const host = await trpcCall<{ id: string }>(adminApi, "hosts.create", { name: `inc-${stamp}`, host: "127.0.0.1", port: env.mariadbPort, user: "root", password: "", tlsMode: "disabled", archiverServerId: 80000 + (stamp % 9000) });
  expect(host.error).toBeUndefined();
  const hostId = host.data!.id;
  await trpcCall(adminApi, "hosts.introspect", { id: hostId });
  const target = await trpcCall<{ id: string }>(adminApi, "storage.create", { kind: "local", name: `inc-t-${stamp}`, path: `${env.localTargetDir}/inc-${stamp}` });
  expect((await trpcCall(adminApi, "archiving.start", { hostId, targetId: target.data!.id, compress: true })).error).toBeUndefined();
  await poll(async () => (await trpcCall<{ archiver: { status: string } | null }>(adminApi, "pitr.timeline", { hostId }, "query")).data?.archiver?.status === "running", "the archiver to run");
  const backupRun = await trpcCall<{ id: string }>(adminApi, "backups.start", { hostId, targetId: target.data!.id, engine: "logical", databases: [db] });
  await poll(async () => (await trpcCall<{ state: string }>(adminApi, "runs.get", { id: backupRun.data!.id }, "query")).data?.state === "succeeded", "the base backup");

  // a DELETE of many rows, to undo from the browser later
  await conn.query(`CREATE TABLE ${db}.big (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO ${db}.big SELECT seq, CONCAT('v', seq) FROM ${db}.seq_1_to_12000`);
  await sleep(1100);
  await conn.query(`DELETE FROM ${db}.big`);
  await sleep(1100);
  await conn.query(`INSERT INTO ${db}.orders VALUES (1001, 9.99), (1002, 19.99)`);
  await conn.query(`DROP TABLE ${db}.orders`);
  await conn.query(`CREATE TABLE ${db}.orders (id INT PRIMARY KEY, amount DECIMAL(10,2))`); // someone "fixed" it: empty
  // the file holding the DROP is indexed once shipped: rotate it
  await conn.query("FLUSH BINARY LOGS");
  await poll(async () => (await trpcCall<{ incidents: { kind: string }[] }>(adminApi, "incidents.list", { hostId, table: `${db}.orders`, kinds: ["drop_table"] }, "query")).data?.incidents.length, "the DROP to be indexed");

  const { page } = await pageAs("operator");
  await page.goto(`/hosts/${hostId}/timeline`);
  await expect(page.getByTestId("pitr-timeline")).toBeVisible();
  await expect(page.getByTestId("incident-marker").first()).toBeVisible();
  // the search box narrows the list and the markers to the table
  const search = page.getByRole("search", { name: "Search incidents" });
  await search.getByLabel("Table").fill(`${db}.orders`);
  await search.getByLabel("Kind").selectOption("drop_table");
  await search.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("incident-row")).toHaveCount(1);
  await expect(page.getByTestId("incident-marker")).toHaveCount(1);
  await page.getByTestId("incident-marker").click();
  const detail = page.getByTestId("incident-detail");
  await expect(detail).toContainText(`DROP TABLE ${db}.orders`);
  await expect(detail).toContainText(/GTID\s*\d+-\d+-\d+/);
  await page.screenshot({ path: "test-results/screens/incidents-timeline.png", fullPage: true });

  await detail.getByRole("button", { name: "Restore to just before this" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByTestId("incident-plan")).toContainText(/just before GTID \d+-\d+-\d+/);
  await expect(dialog.getByTestId("incident-plan")).toContainText(/replay \d+ archived binlog segment/);
  await dialog.getByLabel(`Restore ${db} as`).fill(`${db}_before`);
  await page.screenshot({ path: "test-results/screens/incidents-restore-dialog.png", fullPage: true });
  await dialog.getByRole("button", { name: "Restore to just before" }).click();
  await expect(page).toHaveURL(/\/runs\/r/);
  await expect(page.getByText("succeeded").first()).toBeVisible({ timeout: 90_000 });

  const [rows] = await conn.query(`SELECT COUNT(*) AS n, MAX(id) AS top FROM ${db}_before.orders`);
  expect(rows).toEqual([{ n: 302, top: 1002 }]);

  // the mass DELETE: undo its rows in place, previewed first
  await page.goto(`/hosts/${hostId}/timeline`);
  const search2 = page.getByRole("search", { name: "Search incidents" });
  await search2.getByLabel("Table").fill(`${db}.big`);
  await search2.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("incident-row")).toHaveCount(1);
  await page.getByTestId("incident-row").click();
  await expect(page.getByTestId("incident-detail")).toContainText("12,000");
  await page.getByTestId("incident-detail").getByRole("button", { name: "Undo these rows…" }).click();
  const undo = page.getByRole("dialog");
  await undo.getByRole("button", { name: "Preview" }).click();
  await expect(undo.getByTestId("undo-preview")).toContainText("write back 12000 deleted", { timeout: 60_000 });
  await page.screenshot({ path: "test-results/screens/incidents-undo-preview.png", fullPage: true });
  await undo.getByRole("button", { name: `Undo on inc-${stamp}` }).click();
  await expect(page).toHaveURL(/\/runs\/r/);
  await expect(page.getByText("succeeded").first()).toBeVisible({ timeout: 90_000 });
  const [big] = await conn.query(`SELECT COUNT(*) AS n FROM ${db}.big`);
  expect(big).toEqual([{ n: 12000 }]);
  await trpcCall(adminApi, "archiving.stop", { hostId });
  await conn.end();
});
