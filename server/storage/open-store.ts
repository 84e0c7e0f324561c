import type { StorageTarget } from "../db/generated/client";
import { db } from "../db/client";
import { notFound } from "../errors";
import { unseal } from "../catalog-secrets/seal";
import { LocalStore } from "./local-store";
import type { ObjectStore } from "./object-store";
import { S3Store } from "./s3-store";

export const storageSecretContext = (targetId: string) => `storage:${targetId}:secret`;

/** A storage target with its secret in clear: what a runner agent receives (sealed) for a run. */
export type TargetSpec = Pick<StorageTarget, "id" | "kind" | "path" | "endpoint" | "region" | "bucket" | "prefix" | "forcePathStyle" | "accessKeyId" | "sse" | "kmsKeyId" | "partSize" | "workers"> & {
  secretAccessKey: string | null;
};

/** The target with its secret decrypted. Server-side only; sent to agents sealed (server/agents/payload-seal.ts). */
export function targetSpec(t: StorageTarget): TargetSpec {
  const { id, kind, path, endpoint, region, bucket, prefix, forcePathStyle, accessKeyId, sse, kmsKeyId, partSize, workers } = t;
  return { id, kind, path, endpoint, region, bucket, prefix, forcePathStyle, accessKeyId, sse, kmsKeyId, partSize, workers, secretAccessKey: t.secretEnc ? unseal(t.secretEnc, storageSecretContext(t.id)) : null };
}

/** An ObjectStore for a target spec (no catalog access: agents use it too). */
export function storeFromSpec(t: TargetSpec): ObjectStore {
  if (t.kind === "local") return new LocalStore(t.path!);
  return new S3Store({
    endpoint: t.endpoint,
    region: t.region,
    bucket: t.bucket!,
    prefix: t.prefix,
    forcePathStyle: t.forcePathStyle,
    accessKeyId: t.accessKeyId,
    secretAccessKey: t.secretAccessKey,
    sse: t.sse as "none" | "AES256" | "aws:kms",
    kmsKeyId: t.kmsKeyId,
    partSize: t.partSize,
    workers: t.workers,
  });
}

/** An ObjectStore for a stored target, with its secret decrypted. */
export function openStore(t: StorageTarget): ObjectStore {
  return storeFromSpec(targetSpec(t));
}

export async function loadTarget(targetId: string): Promise<StorageTarget> {
  const t = await db().storageTarget.findUnique({ where: { id: targetId } });
  if (!t) throw notFound("Storage target", targetId);
  return t;
}

export async function openTargetStore(targetId: string): Promise<{ target: StorageTarget; store: ObjectStore }> {
  const target = await loadTarget(targetId);
  return { target, store: openStore(target) };
}
