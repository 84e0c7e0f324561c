import { z } from "zod";

export const NOTIFY_EVENTS = ["failure", "success", "stale", "verify-failure", "agent-offline"] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

const url = z
  .string()
  .trim()
  .url("Enter a full URL, e.g. https://hooks.example.com/dbbackup.")
  .refine((u) => /^https?:\/\//.test(u), "Use an http:// or https:// URL.");

export const channelConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("webhook"), url, secret: z.string().max(256).optional() }),
  z.object({ kind: z.literal("slack"), url }),
  z.object({
    kind: z.literal("email"),
    host: z.string().trim().min(1, "Enter the SMTP server."),
    port: z.coerce.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false),
    user: z.string().max(256).optional(),
    password: z.string().max(256).optional(),
    from: z.string().trim().email("Enter the sender address."),
    to: z.string().trim().min(3, "Enter at least one recipient.").refine((s) => s.split(",").every((a) => /^[^@\s]+@[^@\s]+$/.test(a.trim())), "Separate addresses with commas."),
  }),
]);
export type ChannelConfig = z.infer<typeof channelConfig>;

export const channelInput = z.object({
  name: z.string().trim().min(1, "Name the channel.").max(64),
  config: channelConfig,
  events: z.array(z.enum(NOTIFY_EVENTS)).min(1, "Choose at least one event."),
  enabled: z.boolean().default(true),
});
export type ChannelInput = z.infer<typeof channelInput>;
