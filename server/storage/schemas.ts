import path from "node:path";
import { z } from "zod";
import { MIN_PART_SIZE } from "./s3-store";

const name = z
  .string()
  .trim()
  .min(1, "Give the target a name.")
  .max(64, "Use at most 64 characters.")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Use letters, digits, dot, dash and underscore.");

const bucket = z
  .string()
  .trim()
  .min(3, "Bucket names have 3 to 63 characters.")
  .max(63, "Bucket names have 3 to 63 characters.")
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, "Bucket names use lower-case letters, digits, dots and dashes, and start and end with a letter or digit.");

const endpoint = z
  .string()
  .trim()
  .optional()
  .transform((s) => s || null)
  .refine((s) => {
    if (s === null) return true;
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && !!u.hostname;
    } catch {
      return false;
    }
  }, "The endpoint must be a URL like https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000 (leave empty for AWS).");

const region = z
  .string()
  .trim()
  .optional()
  .transform((s) => s || "us-east-1")
  .refine((s) => /^[a-z0-9-]+$/.test(s), "A region looks like us-east-1.");

const prefix = z
  .string()
  .trim()
  .optional()
  .transform((s) => (s ?? "").replace(/^\/+/, ""))
  .refine((s) => !s.includes(".."), "The prefix must not contain '..'.")
  .transform((s) => (s === "" || s.endsWith("/") ? s : s + "/"));

const localFields = z.object({
  kind: z.literal("local"),
  name,
  path: z
    .string()
    .trim()
    .min(1, "Enter a directory.")
    .refine((p) => path.isAbsolute(p), "Use an absolute path, e.g. /var/backups/dbbackup.")
    .transform((p) => path.normalize(p).replace(/\/+$/, "") || "/"),
});

const s3Fields = z.object({
  kind: z.literal("s3"),
  name,
  endpoint,
  region,
  bucket,
  prefix,
  forcePathStyle: z.boolean().default(false),
  accessKeyId: z.string().trim().max(128).optional().transform((s) => s || null),
  /** Empty on update keeps the stored secret. */
  secretAccessKey: z.string().max(256).optional().transform((s) => s || null),
  sse: z.enum(["none", "AES256", "aws:kms"]).default("none"),
  kmsKeyId: z.string().trim().max(2048).optional().transform((s) => s || null),
  partSize: z.coerce
    .number()
    .int()
    .min(MIN_PART_SIZE, `The part size must be at least ${MIN_PART_SIZE} bytes (5 MiB, S3's minimum).`)
    .max(5 * 1024 * 1024 * 1024, "The part size must be at most 5 GiB.")
    .default(10 * 1024 * 1024),
  workers: z.coerce.number().int().min(1, "At least 1 worker.").max(64, "At most 64 workers.").default(4),
});

export const storageTargetInput = z.discriminatedUnion("kind", [localFields, s3Fields]).superRefine((v, ctx) => {
  if (v.kind === "s3" && v.accessKeyId && !v.secretAccessKey) {
    // allowed on update (keeps the stored secret); create checks again
  }
  if (v.kind === "s3" && v.sse === "aws:kms" && !v.kmsKeyId) {
    // AWS uses the account's default key when no id is given: allowed
  }
  if (v.kind === "s3" && !v.accessKeyId && v.secretAccessKey) {
    ctx.addIssue({ code: "custom", path: ["accessKeyId"], message: "Enter the access key id that goes with the secret key." });
  }
});
export type StorageTargetInput = z.infer<typeof storageTargetInput>;

export const updateStorageTargetInput = z.object({ id: z.string().min(1), target: storageTargetInput });
