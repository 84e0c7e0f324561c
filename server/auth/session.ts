import { getServerSession } from "next-auth";
import { authOptions } from "./next-auth-options";
import { loadSessionUser } from "./authenticate";
import type { SessionUser } from "./roles";

/** The signed-in user for a server component or route handler, fresh from the catalog; null if none. */
export async function currentUser(): Promise<SessionUser | null> {
  const session = await getServerSession(authOptions());
  const id = (session?.user as { id?: string } | undefined)?.id;
  return id ? loadSessionUser(id) : null;
}
