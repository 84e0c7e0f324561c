import { recordAudit, type Actor } from "../audit/record";
import { db } from "../db/client";
import type { Host } from "../db/generated/client";
import { conflict, invalid, notFound, precondition } from "../errors";
import { isLocalAddress } from "../mysql/introspect";
import { seal } from "../catalog-secrets/seal";
import { newId } from "../util/ids";
import { hostAddress, hostPasswordContext, loadHost } from "./host-address";
import type { CreateHostInput, UpdateHostInput } from "./schemas";
import { testConnection } from "./test-connection";

function requirePasswordForRemote(v: { host: string; socket: string | null; password: string }, hasStored: boolean) {
  if (!v.password && !hasStored && !isLocalAddress(v)) {
    throw invalid("password", "A password is required for a remote host (only local or socket connections may use an account without one).");
  }
}

/** The host's columns as the form gives them (the password is sealed by the caller). */
function hostColumns(v: CreateHostInput) {
  return {
    name: v.name,
    host: v.host,
    port: v.port,
    socket: v.socket,
    user: v.user,
    tlsMode: v.tlsMode,
    tlsCa: v.tlsCa,
    environment: v.environment,
    labels: JSON.stringify(v.labels),
    isVerificationHost: v.isVerificationHost,
    datadir: v.datadir,
    archiverServerId: v.archiverServerId,
  };
}

async function assertNameFree(name: string, exceptId?: string) {
  const other = await db().host.findUnique({ where: { name } });
  if (other && other.id !== exceptId) throw conflict("name", `A host named ${name} already exists; choose another name.`);
}

export async function createHost(opts: { input: CreateHostInput; actor: Actor }) {
  const v = opts.input;
  requirePasswordForRemote(v, false);
  await assertNameFree(v.name);
  const id = newId("h");
  const created = await db().$transaction(async (tx) => {
    const host = await tx.host.create({
      data: {
        id,
        ...hostColumns(v),
        passwordEnc: v.password ? seal(v.password, hostPasswordContext(id)) : null,
      },
    });
    await recordAudit(opts.actor, "host.create", { type: "host", id }, { name: v.name, address: v.socket ?? `${v.host}:${v.port}`, user: v.user }, tx);
    return host;
  });
  return introspectNewHost(created);
}

const CREATE_INTROSPECTION_MS = 8000;

/**
 * A new host is introspected right away so its page shows facts, or why there are none, instead of
 * "not introspected". The host is already saved: a failure or a slow server only records the error.
 */
async function introspectNewHost(host: Host): Promise<Host> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: false; message: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, message: `No answer from the server within ${CREATE_INTROSPECTION_MS / 1000} s; use "Introspect" on the host page to try again.` }), CREATE_INTROSPECTION_MS);
  });
  try {
    const result = await Promise.race([testConnection(hostAddress(host)), timeout]);
    return await db().host.update({
      where: { id: host.id },
      data: "facts" in result ? { introspection: JSON.stringify(result.facts), introspectedAt: new Date(), introspectionError: null } : { introspectionError: result.message },
    });
  } catch {
    return host;
  } finally {
    clearTimeout(timer);
  }
}

export async function updateHost(opts: { input: UpdateHostInput; actor: Actor }) {
  const v = opts.input;
  const existing = await loadHost(v.id);
  requirePasswordForRemote(v, !!existing.passwordEnc && !v.clearPassword);
  await assertNameFree(v.name, v.id);
  const passwordEnc = v.clearPassword ? null : v.password ? seal(v.password, hostPasswordContext(v.id)) : existing.passwordEnc;
  return db().$transaction(async (tx) => {
    const host = await tx.host.update({
      where: { id: v.id },
      data: {
        ...hostColumns(v),
        passwordEnc,
      },
    });
    const changed = (["name", "host", "port", "socket", "user", "tlsMode", "environment", "isVerificationHost", "datadir", "archiverServerId"] as const).filter(
      (k) => existing[k] !== host[k],
    );
    if (passwordEnc !== existing.passwordEnc) changed.push("password" as never);
    await recordAudit(opts.actor, "host.update", { type: "host", id: v.id }, { name: host.name, changed }, tx);
    return host;
  });
}

export async function deleteHost(opts: { hostId: string; actor: Actor }) {
  const host = await loadHost(opts.hostId);
  const [backups, policies, running] = await Promise.all([
    db().backup.count({ where: { hostId: host.id, state: "complete" } }),
    db().policy.count({ where: { hostId: host.id } }),
    db().run.count({ where: { hostId: host.id, state: { in: ["queued", "running"] } } }),
  ]);
  if (running) throw precondition(`Host ${host.name} has ${running} queued or running run(s); cancel them first.`);
  if (backups) throw precondition(`Host ${host.name} still has ${backups} backup(s) in the catalog; delete them (or let retention prune them) before removing the host.`);
  if (policies) throw precondition(`Host ${host.name} is used by ${policies} polic${policies === 1 ? "y" : "ies"}; delete those first.`);
  await db().$transaction(async (tx) => {
    await tx.host.delete({ where: { id: host.id } });
    await recordAudit(opts.actor, "host.delete", { type: "host", id: host.id }, { name: host.name }, tx);
  });
  return { ok: true };
}

/** Connects to a stored host, refreshes its introspection and returns the result. */
export async function introspectHost(opts: { hostId: string; actor: Actor }) {
  const host = await db().host.findUnique({ where: { id: opts.hostId } });
  if (!host) throw notFound("Host", opts.hostId);
  const result = await testConnection(hostAddress(host));
  const updated = await db().host.update({
    where: { id: host.id },
    data: result.ok
      ? { introspection: JSON.stringify(result.facts), introspectedAt: new Date(), introspectionError: null }
      : { introspectionError: result.message },
  });
  await recordAudit(opts.actor, "host.introspect", { type: "host", id: host.id }, { ok: result.ok, ...(result.ok ? {} : { error: result.message }) });
  return { result, host: updated };
}
