import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db/client";
import { createChannel, dispatch, testChannel } from "../../server/notify/channels";
import { notifyRunFinished } from "../../server/notify/on-run-finished";
import { checkStalePolicies } from "../../server/notify/stale";
import { createPolicy } from "../../server/policies/manage-policies";
import { useTempCatalog } from "../helpers/catalog";
import { startHttpReceiver, startSmtpReceiver } from "../helpers/receivers";

useTempCatalog();
const actor = { system: "test" };
let hook: Awaited<ReturnType<typeof startHttpReceiver>>;
let slack: Awaited<ReturnType<typeof startHttpReceiver>>;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;

beforeAll(async () => {
  hook = await startHttpReceiver();
  slack = await startHttpReceiver();
  smtp = await startSmtpReceiver();
  await createChannel({ input: { name: "hook", config: { kind: "webhook", url: hook.url, secret: "s3cret" }, events: ["failure", "stale", "verify-failure"], enabled: true }, actor });
  await createChannel({ input: { name: "slack", config: { kind: "slack", url: slack.url }, events: ["failure", "success"], enabled: true }, actor });
  await createChannel({ input: { name: "mail", config: { kind: "email", host: "127.0.0.1", port: smtp.port, secure: false, from: "dbbackup@example.test", to: "dba@example.test, oncall@example.test" }, events: ["failure"], enabled: true }, actor });
});
afterAll(async () => {
  await hook.close();
  await slack.close();
  await smtp.close();
});

describe("notifications", () => {
  it("a failed backup reaches the webhook (signed), Slack and email", async () => {
    const host = await db().host.create({ data: { id: "h-n", name: "shop-db", user: "root" } });
    const run = await db().run.create({ data: { id: "r-fail", kind: "backup", hostId: host.id, state: "failed", error: "Access denied for user bk: GRANT RELOAD ON *.* TO 'bk'@'%';", finishedAt: new Date() } });
    await notifyRunFinished(run);
    const w = hook.requests.at(-1)!;
    const payload = JSON.parse(w.body);
    expect(payload).toMatchObject({ event: "failure", host: "shop-db", run: { id: "r-fail", state: "failed" }, title: "Backup of shop-db failed" });
    expect(payload.text).toMatch(/GRANT RELOAD/);
    expect(w.headers["x-dbbackup-signature"]).toBe("sha256=" + crypto.createHmac("sha256", "s3cret").update(w.body).digest("hex"));
    expect(JSON.parse(slack.requests.at(-1)!.body).text).toMatch(/Backup of shop-db failed/);
    const mail = smtp.messages.at(-1)!;
    expect(mail.to).toEqual(["dba@example.test", "oncall@example.test"]);
    expect(mail.data).toMatch(/Subject: \[dbbackup\] Backup of shop-db failed/);
  });

  it("success goes only to channels that asked for it", async () => {
    const before = { hook: hook.requests.length, slack: slack.requests.length, mail: smtp.messages.length };
    const run = await db().run.create({ data: { id: "r-ok", kind: "backup", hostId: "h-n", state: "succeeded", finishedAt: new Date() } });
    await notifyRunFinished(run);
    expect(hook.requests.length).toBe(before.hook);
    expect(smtp.messages.length).toBe(before.mail);
    expect(slack.requests.length).toBe(before.slack + 1);
  });

  it("the test button reports a receiver's refusal, and records it on the channel", async () => {
    const ch = (await db().notificationChannel.findUnique({ where: { name: "hook" } }))!;
    hook.setStatus(500);
    const r = await testChannel({ id: ch.id, actor });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/answered 500/);
    expect((await db().notificationChannel.findUnique({ where: { id: ch.id } }))!.lastError).toMatch(/answered 500/);
    hook.setStatus(200);
    expect((await testChannel({ id: ch.id, actor })).ok).toBe(true);
  });

  it("a stale policy notifies once per episode", async () => {
    const target = await db().storageTarget.create({ data: { id: "s-n", name: "t", kind: "local", path: "/tmp/x" } });
    const p = await createPolicy({
      input: { name: "stale-one", hostId: "h-n", targetId: target.id, engine: "logical", databases: [], excludeTables: [], schedule: "0 3 * * *", timezone: "UTC", compression: "zstd", compressionLevel: 3, retention: { keepLast: 3 }, binlogArchiving: false, enabled: true, staleAfterMinutes: 60, verifySchedule: null },
      actor,
    });
    await db().policy.update({ where: { id: p.id }, data: { createdAt: new Date(Date.now() - 3 * 3600_000) } });
    const before = hook.requests.length;
    expect(await checkStalePolicies()).toContain(p.id);
    await checkStalePolicies();
    const stale = hook.requests.slice(before).map((r) => JSON.parse(r.body)).filter((x) => x.event === "stale");
    expect(stale).toHaveLength(1);
    expect(stale[0].title).toMatch(/No successful backup of shop-db \(policy stale-one\)/);
  });

  it("a delivery failure never throws out of dispatch", async () => {
    await hook.close();
    await expect(dispatch("failure", { title: "x", text: "y" })).resolves.toBeUndefined();
    hook = await startHttpReceiver();
  });
});
