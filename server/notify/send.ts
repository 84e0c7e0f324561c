import crypto from "node:crypto";
import nodemailer from "nodemailer";
import { DomainError, errorMessage } from "../errors";
import { slackPayload, type Notification } from "./message";
import type { ChannelConfig } from "./schemas";

const TIMEOUT_MS = 10_000;

async function post(url: string, body: string, headers: Record<string, string>) {
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new DomainError("UNAVAILABLE", `POST ${url} failed: ${errorMessage((e as { cause?: unknown }).cause ?? e)}`, { retryable: true });
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => "")).slice(0, 300);
    throw new DomainError("UNAVAILABLE", `POST ${url} answered ${res.status} ${res.statusText}${text ? `: ${text}` : ""}`, { retryable: res.status >= 500 });
  }
}

/** Delivers one notification on one channel. Throws with a message that says what failed. */
export async function sendNotification(cfg: ChannelConfig, n: Notification): Promise<void> {
  if (cfg.kind === "webhook") {
    const body = JSON.stringify(n);
    const headers: Record<string, string> = { "x-dbbackup-event": n.event };
    // receivers verify the body with the shared secret: hex HMAC-SHA256 of the raw body
    if (cfg.secret) headers["x-dbbackup-signature"] = "sha256=" + crypto.createHmac("sha256", cfg.secret).update(body).digest("hex");
    return post(cfg.url, body, headers);
  }
  if (cfg.kind === "slack") return post(cfg.url, JSON.stringify(slackPayload(n)), {});
  const transport = nodemailer.createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.secure,
    auth: cfg.user ? { user: cfg.user, pass: cfg.password ?? "" } : undefined,
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  try {
    await transport.sendMail({
      from: cfg.from,
      to: cfg.to,
      subject: `[dbbackup] ${n.title}`,
      text: `${n.text}\n${n.url ? `\n${n.url}\n` : ""}\n-- \ndbbackup, ${n.at}`,
    });
  } catch (e) {
    throw new DomainError("UNAVAILABLE", `sending mail through ${cfg.host}:${cfg.port} failed: ${errorMessage(e)}`, { retryable: true });
  } finally {
    transport.close();
  }
}
