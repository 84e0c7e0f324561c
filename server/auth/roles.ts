export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in user as the server sees it (session, tRPC context, audit). */
export type SessionUser = { id: string; email: string; name: string; role: Role };

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/** True when `role` is at least `min`. */
export function hasRole(role: Role, min: Role): boolean {
  return RANK[role] >= RANK[min];
}

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  viewer: "Reads everything except secrets and connection credentials.",
  operator: "Runs backups, verifications and restores to non-original targets; manages policies.",
  admin: "Manages users, hosts and storage; may restore onto a backup's original host.",
};
