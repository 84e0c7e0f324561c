import { DomainError } from "../../errors";
import type { SnapshotBackend } from "./backend";
import { btrfsBackend } from "./btrfs-backend";
import type { CommandRunner } from "./command-runner";
import { lvmBackend } from "./lvm-backend";
import { findMount } from "./mount-info";
import type { SnapshotOptions } from "./snapshot-options";
import { zfsBackend } from "./zfs-backend";

/** Device-mapper devices are where LVM logical volumes show up in the mount table. */
export function looksLikeLvm(source: string): boolean {
  return /^\/dev\/(mapper\/|dm-\d)/.test(source);
}

/**
 * Picks the snapshot backend for the datadir: the one asked for, or the one its filesystem allows
 * (findmnt: btrfs, zfs, or a device-mapper volume for LVM).
 */
export async function resolveSnapshotBackend(opts: { runner: CommandRunner; datadir: string; options: SnapshotOptions; name: string; mountBase?: string }): Promise<SnapshotBackend> {
  const { runner, datadir, options: o, name } = opts;
  const mount = await findMount(runner, datadir);
  let backend = o.backend;
  if (backend === "auto") {
    if (mount.fstype === "btrfs") backend = "btrfs";
    else if (mount.fstype === "zfs" || o.zfs.dataset) backend = "zfs";
    else if (looksLikeLvm(mount.source) || o.lvm.volumeGroup) backend = "lvm";
    else {
      throw new DomainError(
        "PRECONDITION",
        `The datadir ${datadir} is on ${mount.fstype} (${mount.source}, mounted at ${mount.target}), which cannot be snapshotted. ` +
          "Put it on a Btrfs subvolume, a ZFS dataset or an LVM logical volume, or use the mariabackup or logical engine.",
      );
    }
  }
  if (backend === "btrfs") {
    if (mount.fstype !== "btrfs") throw new DomainError("PRECONDITION", `snapshotBackend is btrfs but ${datadir} is on ${mount.fstype} (${mount.source}).`);
    return btrfsBackend({ runner, datadir, mount, name, subvolume: o.btrfs.subvolume, snapshotDir: o.btrfs.snapshotDir });
  }
  if (backend === "zfs") return zfsBackend({ runner, datadir, mount, name, dataset: o.zfs.dataset, access: o.zfs.access, mountBase: opts.mountBase });
  return lvmBackend({ runner, datadir, mount, name, volumeGroup: o.lvm.volumeGroup, logicalVolume: o.lvm.logicalVolume, snapshotSize: o.lvm.snapshotSize, mountBase: opts.mountBase });
}
