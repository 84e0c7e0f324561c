import { hashPassword } from "../auth/password";
import type { Role } from "../auth/roles";
import { recordAudit, type Actor } from "../audit/record";
import { db } from "../db/client";
import { conflict } from "../errors";

export type CreateUserOptions = { email: string; name?: string; role: Role; password: string; actor: Actor };

export async function createUser(opts: CreateUserOptions) {
  const email = opts.email.trim().toLowerCase();
  const passwordHash = await hashPassword(opts.password);
  return db().$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email } })) throw conflict("email", `A user with email ${email} already exists.`);
    const user = await tx.user.create({ data: { email, name: opts.name ?? "", role: opts.role, passwordHash } });
    await recordAudit(opts.actor, "user.create", { type: "user", id: user.id }, { email, role: opts.role }, tx);
    return publicUser(user);
  });
}

export function publicUser(u: { id: string; email: string; name: string; role: string; disabled: boolean; createdAt: Date; lastLoginAt: Date | null }) {
  return { id: u.id, email: u.email, name: u.name, role: u.role as Role, disabled: u.disabled, createdAt: u.createdAt, lastLoginAt: u.lastLoginAt };
}
