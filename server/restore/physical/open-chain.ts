import type { BackupSetReader } from "../../artifact/backup-set-reader";
import type { ChainLink } from "../../artifact/chain";
import { chainOf, manifestWithSha } from "../../backup-pipeline/chain-base";
import { DomainError, errorMessage } from "../../errors";

/**
 * A link of a chain is missing or damaged: the backup `brokenId` cannot be used, so neither can
 * any later backup of its chain. `brokenId` is what the catalog marks (with its successors).
 */
export class ChainBrokenError extends DomainError {
  constructor(
    readonly brokenId: string,
    message: string,
    opts: { cause?: unknown } = {},
  ) {
    super("PRECONDITION", message, opts);
  }
}

/** Opens the parent a child names; throws (NOT_FOUND, ...) when it is gone or unreadable. */
export type ParentOpener = (parent: NonNullable<ChainLink["parent"]>, child: BackupSetReader) => Promise<BackupSetReader>;

const MAX_DEPTH = 1000;

/** Every object of a set is there with its recorded size (cheap: one HEAD each, nothing read). */
async function checkObjectsPresent(r: BackupSetReader, label: string) {
  for (const o of r.manifest.objects) {
    const h = await r.store.head(r.prefix + o.path);
    if (!h) throw new ChainBrokenError(r.manifest.id, `${label}: its object ${r.describe(o)} is missing.`);
    if (h.size !== o.size) throw new ChainBrokenError(r.manifest.id, `${label}: its object ${r.describe(o)} has ${h.size} bytes, its manifest says ${o.size} (truncated or replaced).`);
  }
}

/**
 * Opens and checks the whole chain of `reader` before anything is restored: each parent exists
 * and is the very set the child was taken against (id and manifest sha256), the LSNs line up
 * (child from_lsn = parent to_lsn; a differential's parent is a full), and every object of every
 * link is present with its size. Sets `reader.ancestors` (full first) and returns the links,
 * full first, `reader` last. Object contents are verified by sha256 while they are extracted,
 * all of them before the first prepare.
 */
export async function openChain(reader: BackupSetReader, openParent: ParentOpener): Promise<BackupSetReader[]> {
  const links: BackupSetReader[] = [reader];
  const target = reader.manifest.id;
  const tail = (i: number) => (i === 0 ? "" : ` (and the ${i} later link${i === 1 ? "" : "s"} up to ${target})`);
  await checkObjectsPresent(reader, `Backup ${target}`);
  for (let child = reader; ; ) {
    const link = chainOf(child.manifest);
    if (!link?.parent) break;
    if (links.length > MAX_DEPTH) throw new DomainError("INVALID", `The chain of backup ${target} has more than ${MAX_DEPTH} links or loops: its manifests were edited.`);
    const p = link.parent;
    const label = `The chain of backup ${target} is broken at ${p.id}, the base of ${link.kind} backup ${child.manifest.id}${tail(links.length - 1)}`;
    let parent: BackupSetReader;
    try {
      parent = await openParent(p, child);
    } catch (e) {
      throw new ChainBrokenError(p.id, `${label}: ${errorMessage(e)}. ${child.manifest.id} and every later backup of this chain cannot be restored; restore an earlier backup or take a new full backup.`, { cause: e });
    }
    const { manifest, sha256 } = await manifestWithSha(parent.store, parent.prefix);
    if (manifest.id !== p.id) throw new ChainBrokenError(p.id, `${label}: ${parent.describe()} holds backup ${manifest.id} instead.`);
    if (sha256 !== p.manifestSha256) throw new ChainBrokenError(p.id, `${label}: its manifest at ${parent.describe()} is not the one ${child.manifest.id} was taken against (sha256 ${sha256.slice(0, 12)}…, expected ${p.manifestSha256.slice(0, 12)}…).`);
    const pl = chainOf(manifest);
    if (!pl) throw new ChainBrokenError(p.id, `${label}: it records no InnoDB LSNs.`);
    if (pl.toLsn !== link.fromLsn) throw new ChainBrokenError(p.id, `${label}: it ends at LSN ${pl.toLsn} but ${child.manifest.id} starts at ${link.fromLsn}.`);
    if (link.kind === "differential" && pl.kind !== "full") throw new ChainBrokenError(child.manifest.id, `${label}: a differential's base must be a full backup, and it is ${pl.kind}.`);
    await checkObjectsPresent(parent, label);
    links.unshift(parent);
    child = parent;
  }
  if (chainOf(links[0]!.manifest)?.kind !== "full" && chainOf(reader.manifest)) {
    throw new ChainBrokenError(links[0]!.manifest.id, `The chain of backup ${target} does not start with a full backup (${links[0]!.manifest.id} is a delta without a recorded base).`);
  }
  reader.ancestors = links.slice(0, -1);
  return links;
}
