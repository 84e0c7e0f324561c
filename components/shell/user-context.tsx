"use client";
import { createContext, useContext } from "react";
import type { SessionUser } from "@/server/trpc/context";

const Ctx = createContext<SessionUser | null>(null);

export function UserProvider({ user, children }: { user: SessionUser; children: React.ReactNode }) {
  return <Ctx.Provider value={user}>{children}</Ctx.Provider>;
}

const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

/** The signed-in user and a role check for showing controls (the server enforces the same rules). */
export function useUser() {
  const user = useContext(Ctx);
  if (!user) throw new Error("useUser outside the signed-in layout");
  return { user, can: (min: keyof typeof RANK) => RANK[user.role] >= RANK[min] };
}
