import type { Role } from "../auth/roles";

export type SessionUser = { id: string; email: string; name: string; role: Role };

export type TrpcContext = {
  user: SessionUser | null;
  /** Client address, for rate limits and the audit log. */
  ip?: string;
};
