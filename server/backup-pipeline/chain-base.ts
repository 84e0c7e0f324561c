import { createHash } from "node:crypto";
import type { BackupKind, ChainBase, ChainLink } from "../artifact/chain";
import { MANIFEST_NAME, readManifest, type Manifest } from "../artifact/manifest";
import { DomainError } from "../errors";
import type { ObjectStore } from "../storage/object-store";

/** The manifest of a stored set and the sha256 of its bytes (what a child records of its parent). */
export async function manifestWithSha(store: ObjectStore, prefix: string): Promise<{ manifest: Manifest; sha256: string }> {
  const manifest = await readManifest(store, prefix);
  const sha256 = createHash("sha256").update(await store.getBuffer(prefix + MANIFEST_NAME)).digest("hex");
  return { manifest, sha256 };
}

/**
 * A set's place in its chain. Full mariabackup backups made before chains were recorded still
 * carry their checkpoints' LSNs in details.lsn, so they can be the base of a chain.
 */
export function chainOf(m: Manifest): ChainLink | null {
  if (m.chain) return m.chain;
  const to = (m.details.lsn as { to?: string | null } | undefined)?.to;
  if (m.layout === "xbstream" && to && /^\d+$/.test(to)) return { kind: "full", fromLsn: "0", toLsn: to, parent: null, rootId: m.id, depth: 0 };
  return null;
}

/**
 * The base of a new incremental (`kind` "incremental": any chain member) or differential (its
 * base must be a full) read from the stored set at `prefix`; `location` is how the new backup will
 * name it (a directory, an s3:// URL, a prefix inside a catalog target).
 */
export async function baseFromSet(store: ObjectStore, prefix: string, o: { location: string; kind: Exclude<BackupKind, "full"> }): Promise<ChainBase> {
  const where = store.describe(prefix);
  const { manifest, sha256 } = await manifestWithSha(store, prefix);
  const link = chainOf(manifest);
  if (!link) {
    throw new DomainError(
      "PRECONDITION",
      `${where} is a ${manifest.engine} backup (${manifest.layout}) without InnoDB LSNs: an incremental can only follow a mariabackup or xtrabackup backup. Take a full mariabackup backup first.`,
    );
  }
  if (o.kind === "differential" && link.kind !== "full") {
    throw new DomainError("PRECONDITION", `${where} is an ${link.kind} backup: a differential is taken against a full backup. Name the chain's full backup (${link.rootId}).`);
  }
  return {
    kind: o.kind,
    parent: { id: manifest.id, location: o.location, manifestSha256: sha256, toLsn: link.toLsn, rootId: link.rootId, depth: link.depth, serverId: manifest.server.serverId },
  };
}
