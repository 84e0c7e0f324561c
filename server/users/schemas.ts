import { z } from "zod";
import { MIN_PASSWORD_LENGTH } from "../auth/password";
import { ROLES } from "../auth/roles";

export const emailSchema = z.string().trim().toLowerCase().email("Enter a valid email address, like ops@example.com.");
export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(200, "Use at most 200 characters.");
export const roleSchema = z.enum(ROLES);

export const createUserInput = z.object({
  email: emailSchema,
  name: z.string().trim().max(100).default(""),
  role: roleSchema,
  password: passwordSchema,
});
export type CreateUserInput = z.infer<typeof createUserInput>;
