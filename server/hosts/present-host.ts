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
  const canSeeCredentials = hasRole(role, "operator");
  const stored = parseJson<ServerFacts | null>(h.introspection, null);
  // the connected account is a credential too: viewers see neither it nor errors that quote it
  const facts = stored && !canSeeCredentials ? { ...stored, user: "" } : stored;
  const introspectionError = h.introspectionError && !canSeeCredentials ? h.introspectionError.replaceAll(`'${h.user}'`, "'…'").replaceAll(`"${h.user}"`, '"…"') : h.introspectionError;
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
    prerequisites: stored ? enginePrerequisites(canSeeCredentials ? stored : { ...stored, user: "<account>@<host>" }) : null,
    introspectedAt: h.introspectedAt,
    introspectionError,
    createdAt: h.createdAt,
    updatedAt: h.updatedAt,
  };
}
export type PresentedHost = ReturnType<typeof presentHost>;
