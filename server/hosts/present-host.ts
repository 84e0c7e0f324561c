import type { Host } from "../db/generated/client";
import { hasRole, type Role } from "../auth/roles";
import { parseJson } from "../db/client";
import { enginePrerequisites } from "../mysql/prerequisites";
import type { ServerFacts } from "../mysql/server-facts";

/**
 * What a client may see of a host. Passwords never leave the server; viewers also do not see the
 * account name or socket path (connection credentials).
 */
export function presentHost(h: Host, role: Role) {
  const facts = parseJson<ServerFacts | null>(h.introspection, null);
  const canSeeCredentials = hasRole(role, "operator");
  return {
    id: h.id,
    name: h.name,
    host: h.host,
    port: h.port,
    socket: canSeeCredentials ? h.socket : h.socket ? "(socket)" : null,
    user: canSeeCredentials ? h.user : null,
    hasPassword: !!h.passwordEnc,
    tlsMode: h.tlsMode,
    hasTlsCa: !!h.tlsCa,
    environment: h.environment,
    labels: parseJson<string[]>(h.labels, []),
    isVerificationHost: h.isVerificationHost,
    datadir: h.datadir,
    archiverServerId: h.archiverServerId,
    archiveTargetId: h.archiveTargetId,
    facts,
    prerequisites: facts ? enginePrerequisites(facts) : null,
    introspectedAt: h.introspectedAt,
    introspectionError: h.introspectionError,
    createdAt: h.createdAt,
    updatedAt: h.updatedAt,
  };
}
export type PresentedHost = ReturnType<typeof presentHost>;
