import type { Host } from "../db/generated/client";
import { db } from "../db/client";
import { notFound } from "../errors";
import type { ServerAddress, TlsMode } from "../mysql/connection-options";
import { unseal } from "../catalog-secrets/seal";

export const hostPasswordContext = (hostId: string) => `host:${hostId}:password`;

/** The decrypted connection details of a stored host. Server-side only; never returned to clients. */
export function hostAddress(h: Host, database?: string): ServerAddress {
  return {
    host: h.host,
    port: h.port,
    socket: h.socket,
    user: h.user,
    password: h.passwordEnc ? unseal(h.passwordEnc, hostPasswordContext(h.id)) : null,
    tlsMode: h.tlsMode as TlsMode,
    tlsCa: h.tlsCa,
    database,
  };
}

export async function loadHost(hostId: string): Promise<Host> {
  const h = await db().host.findUnique({ where: { id: hostId } });
  if (!h) throw notFound("Host", hostId);
  return h;
}

export async function loadHostAddress(hostId: string, database?: string): Promise<{ host: Host; address: ServerAddress }> {
  const host = await loadHost(hostId);
  return { host, address: hostAddress(host, database) };
}
