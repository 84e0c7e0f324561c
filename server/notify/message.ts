import type { NotifyEvent } from "./schemas";

export type Notification = {
  event: NotifyEvent | "test";
  title: string;
  text: string;
  host?: string;
  policy?: string;
  run?: { id: string; kind: string; state: string; error?: string | null };
  url?: string;
  at: string;
};

export function publicUrl(): string {
  return (process.env.DBBACKUP_PUBLIC_URL || process.env.NEXTAUTH_URL || `http://localhost:${process.env.PORT || 3000}`).replace(/\/$/, "");
}

/** Slack incoming-webhook payload (also understood by Mattermost and Rocket.Chat). */
export function slackPayload(n: Notification) {
  const icon = n.event === "success" ? ":white_check_mark:" : n.event === "test" ? ":bell:" : ":rotating_light:";
  return { text: `${icon} *${n.title}*\n${n.text}${n.url ? `\n<${n.url}|Open in dbbackup>` : ""}` };
}
