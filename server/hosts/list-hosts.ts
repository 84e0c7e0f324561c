import type { Role } from "../auth/roles";
import { db } from "../db/client";
import { loadHost } from "./host-address";
import { presentHost } from "./present-host";

export async function listHosts(role: Role) {
  const hosts = await db().host.findMany({ orderBy: { name: "asc" } });
  return hosts.map((h) => presentHost(h, role));
}

export async function getHost(hostId: string, role: Role) {
  return presentHost(await loadHost(hostId), role);
}
