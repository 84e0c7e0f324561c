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

/** datetime-local value in the browser's (= this process's) time zone, to the second */
function localInput(d: Date) {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

test("the timeline shows a base backup and live binlog coverage, and a restore to a point runs from it", async ({ pageAs, adminApi, env }) => {
  test.setTimeout(180_000);
  const stamp = Date.now();
  const db = `pitr_${stamp}`;
  const conn = await mysql.createConnection({ host: "127.0.0.1", port: env.mariadbPort, user: "root", multipleStatements: true });
  await conn.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.events (id INT PRIMARY KEY AUTO_INCREMENT, phase CHAR(1), at DATETIME(6)); INSERT INTO ${db}.events (phase, at) VALUES ('A', NOW(6)), ('A', NOW(6))`);

  const host = await trpcCall<{ id: string }>(adminApi, "hosts.create", { name: `pitr-${stamp}`, host: "127.0.0.1", port: env.mariadbPort, user: "root", password: "", tlsMode: "disabled", archiverServerId: 90000 + (stamp % 9000) });
  expect(host.error).toBeUndefined();
  const hostId = host.data!.id;
  await trpcCall(adminApi, "hosts.introspect", { id: hostId });
  const target = await trpcCall<{ id: string }>(adminApi, "storage.create", { kind: "local", name: `pitr-t-${stamp}`, path: `${env.localTargetDir}/pitr-${stamp}` });
  const started = await trpcCall(adminApi, "archiving.start", { hostId, targetId: target.data!.id, compress: true });
  expect(started.error, JSON.stringify(started.error)).toBeUndefined();
  await poll(async () => (await trpcCall<{ archiver: { status: string } | null }>(adminApi, "pitr.timeline", { hostId }, "query")).data?.archiver?.status === "running", "the archiver to run");

  const backupRun = await trpcCall<{ id: string }>(adminApi, "backups.start", { hostId, targetId: target.data!.id, engine: "logical", databases: [db] });
  await poll(async () => (await trpcCall<{ state: string }>(adminApi, "runs.get", { id: backupRun.data!.id }, "query")).data?.state === "succeeded", "the base backup");

  await conn.query(`INSERT INTO ${db}.events (phase, at) VALUES ('B', NOW(6)), ('B', NOW(6)), ('B', NOW(6))`);
  await sleep(1500);
  const point = new Date(Math.floor(Date.now() / 1000) * 1000);
  await sleep(1200);
  await conn.query(`INSERT INTO ${db}.events (phase, at) VALUES ('C', NOW(6)); DELETE FROM ${db}.events WHERE phase = 'A'`);
  // wait until the archive has caught up past the point
  await poll(async () => !(await trpcCall(adminApi, "pitr.plan", { hostId, until: point.toISOString() }, "query")).error, "coverage to reach the point");

  const { page } = await pageAs("operator");
  await page.goto(`/hosts/${hostId}/timeline`);
  await expect(page.getByTestId("pitr-timeline")).toBeVisible();
  await expect(page.getByTestId("timeline-backup")).toHaveCount(1);
  await expect(page.getByTestId("coverage-range").first()).toBeVisible();
  // tick labels are distinct at the default zoom and at each fixed span
  for (const span of ["Fit", "1 h", "24 h", "7 days"]) {
    await page.getByRole("group", { name: "Time span" }).getByRole("button", { name: span, exact: true }).click();
    const labels = await page.getByTestId("timeline-tick").allTextContents();
    expect(labels.length, `ticks at ${span}`).toBeGreaterThanOrEqual(2);
    expect(new Set(labels).size, `distinct ticks at ${span}: ${labels.join(" | ")}`).toBe(labels.length);
    // the first and last labels stay inside the chart
    const chart = (await page.getByTestId("pitr-timeline").boundingBox())!;
    for (const t of await page.getByTestId("timeline-tick").locator("text").all()) {
      const b = (await t.boundingBox())!;
      expect(b.x).toBeGreaterThanOrEqual(chart.x - 1);
      expect(b.x + b.width).toBeLessThanOrEqual(chart.x + chart.width + 1);
    }
  }
  await page.getByRole("group", { name: "Time span" }).getByRole("button", { name: "Fit", exact: true }).click();
  await expect(page.getByTestId("recoverable-words")).toContainText("recoverable from");
  await expect(page.getByTestId("archiver-lag")).toBeVisible();
  // hovering inside the recoverable window (after the base backup, within archived coverage)
  // shows what a restore to that moment would use. The coverage bar itself can start long before
  // the backup (the archiver ships the server's older binlogs too), so aim at the window.
  const windowBox = (await page.getByTestId("recoverable-window").last().boundingBox())!;
  const band = (await page.getByTestId("coverage-range").first().boundingBox())!;
  await page.mouse.move(windowBox.x + windowBox.width * 0.6, band.y + band.height / 2);
  await expect(page.getByTestId("timeline-tooltip")).toContainText("Restore backup");
  await expect(page.getByTestId("timeline-tooltip")).toContainText("Click to restore to this point");
  await page.screenshot({ path: "test-results/screens/timeline.png", fullPage: true });

  await page.getByRole("button", { name: "Restore to a point…" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Restore to (your local time)").fill(localInput(point));
  await expect(dialog.getByTestId("pitr-plan")).toContainText(/replay \d+ archived binlog segment/);
  await dialog.getByLabel(`Restore ${db} as`).fill(`${db}_pitr`);
  await page.screenshot({ path: "test-results/screens/pitr-dialog.png", fullPage: true });
  await dialog.getByRole("button", { name: "Restore to this point" }).click();
  await expect(page).toHaveURL(/\/runs\/r/);
  await expect(page.getByText("succeeded").first()).toBeVisible({ timeout: 90_000 });
  await page.screenshot({ path: "test-results/screens/pitr-run.png", fullPage: true });

  const [rows] = await conn.query(`SELECT phase, COUNT(*) AS n FROM ${db}_pitr.events GROUP BY phase ORDER BY phase`);
  expect(rows).toEqual([
    { phase: "A", n: 2 },
    { phase: "B", n: 3 },
  ]);
  await trpcCall(adminApi, "archiving.stop", { hostId });
  await conn.end();
});
