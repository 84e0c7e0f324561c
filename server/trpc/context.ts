import type { SessionUser } from "../auth/roles";

export type { SessionUser };

export type TrpcContext = {
  user: SessionUser | null;
  /** Client address, for rate limits and the audit log. */
  ip?: string;
};
