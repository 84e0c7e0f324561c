import type { StorageTarget } from "../db/generated/client";
import { recordAudit, type Actor } from "../audit/record";
import { hasRole, type Role } from "../auth/roles";
import { db } from "../db/client";
import { conflict, invalid, precondition } from "../errors";
import { seal } from "../catalog-secrets/seal";
import { newId } from "../util/ids";
import { loadTarget, openStore, storageSecretContext } from "./open-store";
import type { StorageTargetInput } from "./schemas";
import { testStore } from "./test-target";

function columns(v: StorageTargetInput, id: string, existing?: StorageTarget) {
  if (v.kind === "local") {
    return {
      name: v.name, kind: "local", path: v.path, endpoint: null, region: null, bucket: null, prefix: "", forcePathStyle: false,
      accessKeyId: null, secretEnc: null, sse: "none", kmsKeyId: null,
    };
  }
  const secretEnc = v.secretAccessKey ? seal(v.secretAccessKey, storageSecretContext(id)) : v.accessKeyId ? (existing?.secretEnc ?? null) : null;
  if (v.accessKeyId && !secretEnc) throw invalid("secretAccessKey", "Enter the secret access key for this access key id.");
  return {
    name: v.name, kind: "s3", path: null, endpoint: v.endpoint, region: v.region, bucket: v.bucket, prefix: v.prefix,
    forcePathStyle: v.forcePathStyle, accessKeyId: v.accessKeyId, secretEnc, sse: v.sse, kmsKeyId: v.kmsKeyId,
    partSize: v.partSize, workers: v.workers,
  };
}

async function assertNameFree(name: string, exceptId?: string) {
  const other = await db().storageTarget.findUnique({ where: { name } });
  if (other && other.id !== exceptId) throw conflict("name", `A storage target named ${name} already exists; choose another name.`);
}

function auditView(t: StorageTarget) {
  return t.kind === "local" ? { name: t.name, kind: t.kind, path: t.path } : { name: t.name, kind: t.kind, bucket: t.bucket, prefix: t.prefix, endpoint: t.endpoint };
}

export async function createTarget(opts: { input: StorageTargetInput; actor: Actor }) {
  await assertNameFree(opts.input.name);
  const id = newId("s");
  return db().$transaction(async (tx) => {
    const t = await tx.storageTarget.create({ data: { id, ...columns(opts.input, id) } });
    await recordAudit(opts.actor, "storage.create", { type: "storage", id }, auditView(t), tx);
    return t;
  });
}

export async function updateTarget(opts: { id: string; input: StorageTargetInput; actor: Actor }) {
  const existing = await loadTarget(opts.id);
  await assertNameFree(opts.input.name, opts.id);
  if (existing.kind !== opts.input.kind) {
    const used = await db().backup.count({ where: { targetId: existing.id, state: "complete" } });
    if (used) throw precondition(`Target ${existing.name} holds ${used} backup(s); its kind cannot change. Create a new target instead.`, "kind");
  }
  return db().$transaction(async (tx) => {
    const t = await tx.storageTarget.update({ where: { id: opts.id }, data: columns(opts.input, opts.id, existing) });
    await recordAudit(opts.actor, "storage.update", { type: "storage", id: t.id }, auditView(t), tx);
    return t;
  });
}

export async function deleteTarget(opts: { id: string; actor: Actor }) {
  const t = await loadTarget(opts.id);
  const [backups, policies, segments] = await Promise.all([
    db().backup.count({ where: { targetId: t.id, state: "complete" } }),
    db().policy.count({ where: { targetId: t.id } }),
    db().binlogSegment.count({ where: { targetId: t.id } }),
  ]);
  if (backups || segments) throw precondition(`Target ${t.name} still holds ${backups} backup(s) and ${segments} binlog segment(s); prune or delete them first.`);
  if (policies) throw precondition(`Target ${t.name} is used by ${policies} polic${policies === 1 ? "y" : "ies"}; point them elsewhere first.`);
  await db().$transaction(async (tx) => {
    await tx.storageTarget.delete({ where: { id: t.id } });
    await recordAudit(opts.actor, "storage.delete", { type: "storage", id: t.id }, { name: t.name }, tx);
  });
  return { ok: true };
}

/** Runs the probe against a stored target and records the outcome on it. */
export async function testTarget(opts: { id: string; actor: Actor }) {
  const t = await loadTarget(opts.id);
  const result = await testStore(openStore(t));
  await db().storageTarget.update({
    where: { id: t.id },
    data: { lastTestAt: new Date(), lastTestOk: result.ok, lastTestError: result.ok ? null : result.message },
  });
  await recordAudit(opts.actor, "storage.test", { type: "storage", id: t.id }, { ok: result.ok, message: result.message });
  return result;
}

/** Probes a target described in a form, before it is saved. */
export async function testDraftTarget(input: StorageTargetInput, existingId?: string) {
  const id = existingId ?? "draft";
  const existing = existingId ? await loadTarget(existingId) : undefined;
  const cols = columns(input, id, existing);
  const draft = { ...(existing ?? {}), id, ...cols, partSize: input.kind === "s3" ? input.partSize : 10485760, workers: input.kind === "s3" ? input.workers : 4 } as StorageTarget;
  return testStore(openStore(draft));
}

/** What a client may see of a target: never the secret; viewers do not see the access key id either. */
export function presentTarget(t: StorageTarget, role: Role) {
  const { secretEnc, accessKeyId, ...rest } = t;
  return { ...rest, accessKeyId: hasRole(role, "operator") ? accessKeyId : accessKeyId ? "(hidden)" : null, hasSecret: !!secretEnc, location: openStoreDescribe(t) };
}

function openStoreDescribe(t: StorageTarget) {
  return t.kind === "local" ? t.path! : `s3://${t.bucket}/${t.prefix}`;
}

export async function listTargets(role: Role) {
  return (await db().storageTarget.findMany({ orderBy: { name: "asc" } })).map((t) => presentTarget(t, role));
}

export async function getTarget(id: string, role: Role) {
  return presentTarget(await loadTarget(id), role);
}
