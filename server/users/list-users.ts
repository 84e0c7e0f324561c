import { db } from "../db/client";
import { publicUser } from "./create-user";

export async function listUsers() {
  const users = await db().user.findMany({ orderBy: { createdAt: "asc" } });
  return users.map(publicUser);
}
