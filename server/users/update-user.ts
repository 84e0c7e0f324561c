import { hashPassword, verifyPassword } from "../auth/password";
import type { Role } from "../auth/roles";
import { recordAudit, type Actor } from "../audit/record";
import { db } from "../db/client";
import { invalid, notFound, precondition } from "../errors";
import { publicUser } from "./create-user";

type Tx = Parameters<Parameters<ReturnType<typeof db>["$transaction"]>[0]>[0];

async function assertAnotherActiveAdmin(tx: Tx, exceptUserId: string) {
  const others = await tx.user.count({ where: { role: "admin", disabled: false, id: { not: exceptUserId } } });
  if (others === 0) throw precondition("This is the last active admin; make another user admin first.");
}

export async function setUserRole(opts: { userId: string; role: Role; actor: Actor }) {
  return db().$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: opts.userId } });
    if (!user) throw notFound("User", opts.userId);
    if (user.role === "admin" && opts.role !== "admin") await assertAnotherActiveAdmin(tx, user.id);
    const updated = await tx.user.update({ where: { id: user.id }, data: { role: opts.role } });
    await recordAudit(opts.actor, "user.role", { type: "user", id: user.id }, { email: user.email, from: user.role, to: opts.role }, tx);
    return publicUser(updated);
  });
}

export async function setUserDisabled(opts: { userId: string; disabled: boolean; actor: Actor }) {
  return db().$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: opts.userId } });
    if (!user) throw notFound("User", opts.userId);
    if ("id" in opts.actor && opts.actor.id === user.id && opts.disabled) throw precondition("You cannot disable your own account.");
    if (opts.disabled && user.role === "admin") await assertAnotherActiveAdmin(tx, user.id);
    const updated = await tx.user.update({ where: { id: user.id }, data: { disabled: opts.disabled } });
    await recordAudit(opts.actor, opts.disabled ? "user.disable" : "user.enable", { type: "user", id: user.id }, { email: user.email }, tx);
    return publicUser(updated);
  });
}

export async function resetUserPassword(opts: { userId: string; password: string; actor: Actor }) {
  const passwordHash = await hashPassword(opts.password);
  return db().$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: opts.userId } });
    if (!user) throw notFound("User", opts.userId);
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await recordAudit(opts.actor, "user.password-reset", { type: "user", id: user.id }, { email: user.email }, tx);
    return { ok: true };
  });
}

export async function changeOwnPassword(opts: { userId: string; currentPassword: string; newPassword: string; actor: Actor }) {
  const user = await db().user.findUnique({ where: { id: opts.userId } });
  if (!user) throw notFound("User", opts.userId);
  if (!(await verifyPassword(opts.currentPassword, user.passwordHash))) throw invalid("currentPassword", "The current password is wrong.");
  const passwordHash = await hashPassword(opts.newPassword);
  await db().$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await recordAudit(opts.actor, "user.password-change", { type: "user", id: user.id }, {}, tx);
  });
  return { ok: true };
}
