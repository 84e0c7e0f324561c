import { hashPassword } from "../auth/password";
import { recordAudit } from "../audit/record";
import { db } from "../db/client";
import { precondition } from "../errors";
import { publicUser } from "./create-user";

export async function needsSetup(): Promise<boolean> {
  return (await db().user.count()) === 0;
}

/** Creates the first admin; refused once any user exists (so the setup page cannot be replayed). */
export async function createFirstAdmin(opts: { email: string; name?: string; password: string; via: string }) {
  const passwordHash = await hashPassword(opts.password);
  return db().$transaction(async (tx) => {
    if ((await tx.user.count()) > 0) throw precondition("Setup is already done: an admin exists. Sign in instead.");
    const user = await tx.user.create({ data: { email: opts.email.trim().toLowerCase(), name: opts.name ?? "", role: "admin", passwordHash } });
    await recordAudit({ system: opts.via }, "user.create-first-admin", { type: "user", id: user.id }, { email: user.email }, tx);
    return publicUser(user);
  });
}

/** DBBACKUP_ADMIN_EMAIL / DBBACKUP_ADMIN_PASSWORD pre-seed the first admin when the catalog has no user. */
export async function seedAdminFromEnv(): Promise<boolean> {
  const email = process.env.DBBACKUP_ADMIN_EMAIL;
  const password = process.env.DBBACKUP_ADMIN_PASSWORD;
  if (!email || !password) return false;
  if (!(await needsSetup())) return false;
  await createFirstAdmin({ email, password, via: "env" });
  return true;
}
