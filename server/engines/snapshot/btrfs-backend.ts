import fs from "node:fs/promises";
import path from "node:path";
import { DomainError } from "../../errors";
import { failure, relativeInside, type SnapshotBackend } from "./backend";
import { commandLine, type CommandRunner } from "./command-runner";
import type { MountInfo } from "./mount-info";

// Every Btrfs subvolume root has this inode number (BTRFS_FIRST_FREE_OBJECTID).
const SUBVOLUME_ROOT_INODE = 256;

async function isSubvolumeRoot(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).ino === SUBVOLUME_ROOT_INODE;
  } catch {
    return false;
  }
}

/** The subvolume that holds `datadir`: the nearest ancestor (or itself) that is a subvolume root. */
async function containingSubvolume(datadir: string, mount: MountInfo): Promise<string> {
  let p = path.resolve(datadir);
  for (;;) {
    if (await isSubvolumeRoot(p)) return p;
    if (p === mount.target || p === "/") return mount.target;
    p = path.dirname(p);
  }
}

/**
 * Btrfs: a read-only snapshot of the subvolume holding the datadir (`btrfs subvolume snapshot -r`),
 * placed next to it in `.dbbackup-snapshots/`, deleted with `btrfs subvolume delete`.
 */
export async function btrfsBackend(opts: { runner: CommandRunner; datadir: string; mount: MountInfo; name: string; subvolume?: string; snapshotDir?: string }): Promise<SnapshotBackend> {
  const { runner, datadir, mount, name } = opts;
  const subvolume = opts.subvolume ? path.resolve(opts.subvolume) : await containingSubvolume(datadir, mount);
  if (opts.subvolume && !(await isSubvolumeRoot(subvolume))) {
    throw new DomainError("PRECONDITION", `btrfs.subvolume ${subvolume} is not a Btrfs subvolume (check with: btrfs subvolume show ${subvolume}).`);
  }
  const rel = relativeInside(subvolume, datadir);
  if (rel === null) throw new DomainError("PRECONDITION", `The datadir ${datadir} is not inside the Btrfs subvolume ${subvolume}; set btrfs.subvolume to the subvolume that holds it.`);

  // The snapshot must live on the same filesystem and outside the datadir.
  let snapshotDir = opts.snapshotDir;
  if (!snapshotDir) {
    if (subvolume !== mount.target) snapshotDir = path.join(path.dirname(subvolume), ".dbbackup-snapshots");
    else if (rel !== "") snapshotDir = path.join(subvolume, ".dbbackup-snapshots");
    else {
      throw new DomainError(
        "PRECONDITION",
        `The datadir ${datadir} is a Btrfs subvolume mounted on its own, so there is no place on that filesystem outside it for the snapshot. ` +
          `Mount the filesystem's top level somewhere (mount -o subvolid=5 ${mount.source} /mnt/btrfs-top) and set btrfs.snapshot_dir to a directory there.`,
      );
    }
  }
  const snapshot = path.join(snapshotDir, name);
  let created = false;
  let madeDir = false;

  return {
    name: "btrfs",
    source: `Btrfs subvolume ${subvolume}`,
    async prepare() {
      try {
        await fs.access(snapshotDir);
      } catch {
        await fs.mkdir(snapshotDir, { recursive: true, mode: 0o700 });
        madeDir = true;
      }
      // write dirty data out before the lock, so the snapshot taken under it has little to flush
      await runner.run("btrfs", ["filesystem", "sync", subvolume]);
    },
    async create() {
      const args = ["subvolume", "snapshot", "-r", subvolume, snapshot];
      const r = await runner.run("btrfs", args);
      if (r.code !== 0) {
        throw failure(
          `Btrfs snapshot of ${subvolume}`,
          commandLine("btrfs", args),
          r,
          /cross-device|Invalid cross/i.test(r.stderr)
            ? `${snapshotDir} is on another filesystem: set btrfs.snapshot_dir to a directory on the same Btrfs filesystem.`
            : /permission|not permitted/i.test(r.stderr)
              ? "Creating snapshots needs root (or CAP_SYS_ADMIN) on this machine."
              : /No space/i.test(r.stderr)
                ? "The filesystem is full: free space (btrfs filesystem usage " + mount.target + ")."
                : "",
        );
      }
      created = true;
    },
    async open() {
      return rel ? path.join(snapshot, rel) : snapshot;
    },
    async verify() {},
    async remove() {
      // also when create() reported a failure: the snapshot may exist anyway
      if (created || (await isSubvolumeRoot(snapshot))) {
        const args = ["subvolume", "delete", snapshot];
        const r = await runner.run("btrfs", args);
        if (r.code !== 0 && !/No such file|not found/i.test(r.stderr)) throw failure(`Removing the snapshot ${snapshot}`, commandLine("btrfs", args), r, "");
        created = false;
      }
      if (madeDir) await fs.rmdir(snapshotDir).catch(() => undefined);
    },
    manualCleanup: () => [commandLine("btrfs", ["subvolume", "delete", snapshot])],
    describe: () => ({ backend: "btrfs", subvolume, snapshot, device: mount.source }),
  };
}
