import net from "node:net";
import { z } from "zod";
import { TLS_MODES } from "../mysql/connection-options";

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export const hostNameSchema = z
  .string()
  .trim()
  .min(1, "Give the host a name.")
  .max(64, "Use at most 64 characters.")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Use letters, digits, dot, dash and underscore, starting with a letter or digit.");

export const hostAddressSchema = z
  .string()
  .trim()
  .refine((h) => h === "" || net.isIP(h) !== 0 || HOSTNAME.test(h), "Not a valid host name or IP address (e.g. db1.example.com or 10.0.0.5).");

export const portSchema = z.coerce
  .number({ message: "The port must be a number." })
  .int("The port must be a whole number.")
  .min(1, "The port must be between 1 and 65535.")
  .max(65535, "The port must be between 1 and 65535.");

/** Empty means nobody chose one: no environment badge is shown. */
export const environmentSchema = z
  .string()
  .trim()
  .max(32)
  .regex(/^[a-z0-9-]*$/, "Use lower-case letters, digits and dashes (production, staging, ...).");

const hostFields = {
  name: hostNameSchema,
  host: hostAddressSchema.default(""),
  port: portSchema.default(3306),
  socket: z
    .string()
    .trim()
    .refine((s) => s === "" || s.startsWith("/"), "The socket must be an absolute path, e.g. /run/mysqld/mysqld.sock.")
    .optional()
    .transform((s) => s || null),
  user: z.string().trim().min(1, "Enter the user dbbackup connects as.").max(80, "MySQL user names are at most 80 characters."),
  tlsMode: z.enum(TLS_MODES).default("preferred"),
  tlsCa: z
    .string()
    .trim()
    .optional()
    .transform((s) => s || null)
    .refine((s) => s === null || s.includes("-----BEGIN CERTIFICATE-----") || s.startsWith("/"), "Paste the CA certificate in PEM form, or give the path of a PEM file."),
  environment: environmentSchema.default(""),
  labels: z.array(z.string().trim().min(1).max(40)).max(20).default([]),
  isVerificationHost: z.boolean().default(false),
  datadir: z
    .string()
    .trim()
    .optional()
    .transform((s) => s || null)
    .refine((s) => s === null || s.startsWith("/"), "The datadir must be an absolute path."),
  archiverServerId: z.coerce.number().int().min(1, "server id must be 1..4294967295").max(4294967295).default(99999),
};

function checkAddress<T extends { host: string; socket: string | null; tlsMode: string; tlsCa: string | null }>(v: T, ctx: z.RefinementCtx) {
  if (!v.socket && !v.host) ctx.addIssue({ code: "custom", path: ["host"], message: "Enter a host name or IP address, or a socket path." });
  if ((v.tlsMode === "verify-ca" || v.tlsMode === "verify-identity") && !v.tlsCa) {
    ctx.addIssue({ code: "custom", path: ["tlsCa"], message: `TLS mode ${v.tlsMode} needs the CA certificate.` });
  }
}

export const createHostInput = z
  .object({ ...hostFields, password: z.string().max(512).optional().default("") })
  .superRefine(checkAddress);
export type CreateHostInput = z.infer<typeof createHostInput>;

export const updateHostInput = z
  .object({
    id: z.string().min(1),
    ...hostFields,
    /** Empty keeps the stored password. */
    password: z.string().max(512).optional().default(""),
    clearPassword: z.boolean().default(false),
  })
  .superRefine(checkAddress);
export type UpdateHostInput = z.infer<typeof updateHostInput>;

/** A draft connection, for "Test connection" before saving. */
export const draftConnectionInput = z
  .object({
    id: z.string().optional(), // when editing: use the stored password if none is given
    host: hostAddressSchema.default(""),
    port: portSchema.default(3306),
    socket: hostFields.socket,
    user: hostFields.user,
    password: z.string().max(512).optional().default(""),
    tlsMode: hostFields.tlsMode,
    tlsCa: hostFields.tlsCa,
  })
  .superRefine(checkAddress);
