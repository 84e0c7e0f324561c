import { recordAudit, type Actor } from "../audit/record";
import { db, parseJson } from "../db/client";
import { conflict, notFound } from "../errors";
import { seal, unseal } from "../catalog-secrets/seal";
import { newId } from "../util/ids";
import { publicUrl, type Notification } from "./message";
import { channelConfig, type ChannelConfig, type ChannelInput, type NotifyEvent } from "./schemas";
import { sendNotification } from "./send";

const ctx = (id: string) => `notify:${id}:config`;

export function channelConfigOf(row: { id: string; configEnc: string }): ChannelConfig {
  return channelConfig.parse(JSON.parse(unseal(row.configEnc, ctx(row.id))));
}

/** What a client may see: the kind and a redacted target, never URLs with tokens or passwords. */
function present(row: { id: string; name: string; kind: string; configEnc: string; events: string; enabled: boolean; lastSentAt: Date | null; lastError: string | null; createdAt: Date }) {
  const cfg = channelConfigOf(row);
  const target = cfg.kind === "email" ? `${cfg.to} via ${cfg.host}:${cfg.port}` : new URL(cfg.url).host;
  return { id: row.id, name: row.name, kind: row.kind, target, events: parseJson<NotifyEvent[]>(row.events, []), enabled: row.enabled, lastSentAt: row.lastSentAt, lastError: row.lastError, createdAt: row.createdAt };
}

export async function listChannels() {
  return (await db().notificationChannel.findMany({ orderBy: { name: "asc" } })).map(present);
}

export async function createChannel(opts: { input: ChannelInput; actor: Actor }) {
  if (await db().notificationChannel.findUnique({ where: { name: opts.input.name } })) throw conflict("name", `A channel named ${opts.input.name} already exists.`);
  const id = newId("n");
  const row = await db().notificationChannel.create({
    data: { id, name: opts.input.name, kind: opts.input.config.kind, configEnc: seal(JSON.stringify(opts.input.config), ctx(id)), events: JSON.stringify(opts.input.events), enabled: opts.input.enabled },
  });
  await recordAudit(opts.actor, "notify.create", { type: "channel", id }, { name: row.name, kind: row.kind, events: opts.input.events });
  return present(row);
}

export async function deleteChannel(opts: { id: string; actor: Actor }) {
  const row = await db().notificationChannel.findUnique({ where: { id: opts.id } });
  if (!row) throw notFound("Notification channel", opts.id);
  await db().notificationChannel.delete({ where: { id: row.id } });
  await recordAudit(opts.actor, "notify.delete", { type: "channel", id: row.id }, { name: row.name });
  return { ok: true };
}

export async function setChannelEnabled(opts: { id: string; enabled: boolean; actor: Actor }) {
  const row = await db().notificationChannel.update({ where: { id: opts.id }, data: { enabled: opts.enabled } });
  await recordAudit(opts.actor, opts.enabled ? "notify.enable" : "notify.disable", { type: "channel", id: row.id }, { name: row.name });
  return present(row);
}

/** Sends a test message; the result says whether it arrived (as far as the receiver answered). */
export async function testChannel(opts: { id: string; actor: Actor }) {
  const row = await db().notificationChannel.findUnique({ where: { id: opts.id } });
  if (!row) throw notFound("Notification channel", opts.id);
  const n: Notification = { event: "test", title: "Test notification", text: `This is a test of the "${row.name}" channel.`, url: publicUrl(), at: new Date().toISOString() };
  try {
    await sendNotification(channelConfigOf(row), n);
    await db().notificationChannel.update({ where: { id: row.id }, data: { lastSentAt: new Date(), lastError: null } });
    await recordAudit(opts.actor, "notify.test", { type: "channel", id: row.id }, { ok: true });
    return { ok: true as const, message: `Sent a test notification through ${row.name}.` };
  } catch (e) {
    const message = (e as Error).message;
    await db().notificationChannel.update({ where: { id: row.id }, data: { lastError: message } });
    await recordAudit(opts.actor, "notify.test", { type: "channel", id: row.id }, { ok: false, error: message });
    return { ok: false as const, message };
  }
}

/** Delivers a notification to every enabled channel subscribed to its event; failures are recorded, never thrown. */
export async function dispatch(event: NotifyEvent, n: Omit<Notification, "event" | "at">) {
  const rows = await db().notificationChannel.findMany({ where: { enabled: true } });
  const full: Notification = { ...n, event, at: new Date().toISOString() };
  await Promise.all(
    rows
      .filter((r) => parseJson<string[]>(r.events, []).includes(event))
      .map(async (r) => {
        try {
          await sendNotification(channelConfigOf(r), full);
          await db().notificationChannel.update({ where: { id: r.id }, data: { lastSentAt: new Date(), lastError: null } });
        } catch (e) {
          await db().notificationChannel.update({ where: { id: r.id }, data: { lastError: (e as Error).message } });
        }
      }),
  );
}
