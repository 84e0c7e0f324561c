import { db } from "../db/client";
import { DomainError } from "../errors";
import { verifyPassword } from "./password";
import { isRole } from "./roles";
import type { SessionUser } from "./roles";

// Login rate limit: at most MAX_FAILURES failed attempts per email and per client address within
// WINDOW_MS; further attempts are refused until the window passes. Kept in memory: the embedded
// server is one process.
const MAX_FAILURES = 5;
const WINDOW_MS = 15 * 60 * 1000;
const failures = new Map<string, number[]>();

function recent(key: string, now: number): number[] {
  const list = (failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  failures.set(key, list);
  return list;
}

export function resetLoginRateLimit() {
  failures.clear();
}

export async function authenticate(emailRaw: string, password: string, ip = "unknown"): Promise<SessionUser> {
  const email = emailRaw.trim().toLowerCase();
  const now = Date.now();
  const keys = [`email:${email}`, `ip:${ip}`];
  for (const k of keys) {
    const list = recent(k, now);
    if (list.length >= MAX_FAILURES) {
      const wait = Math.ceil((WINDOW_MS - (now - list[0]!)) / 60000);
      throw new DomainError("TOO_MANY_REQUESTS", `Too many failed sign-in attempts. Try again in ${wait} minute${wait === 1 ? "" : "s"}.`);
    }
  }
  const user = await db().user.findUnique({ where: { email } });
  const ok = user ? await verifyPassword(password, user.passwordHash) : false;
  if (!user || !ok) {
    for (const k of keys) recent(k, now).push(now);
    throw new DomainError("UNAUTHORIZED", "Wrong email or password.");
  }
  if (user.disabled) throw new DomainError("FORBIDDEN", "This account is disabled. Ask an admin to enable it.");
  await db().user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
  failures.delete(`email:${email}`);
  return { id: user.id, email: user.email, name: user.name, role: isRole(user.role) ? user.role : "viewer" };
}

/** Loads the current state of a session's user: role changes and disabling take effect at once. */
export async function loadSessionUser(userId: string): Promise<SessionUser | null> {
  const user = await db().user.findUnique({ where: { id: userId } });
  if (!user || user.disabled || !isRole(user.role)) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}
