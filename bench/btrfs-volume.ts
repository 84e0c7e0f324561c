// A Btrfs filesystem in a sparse file on a loop device, so the snapshot engine has something to
// snapshot. Needs root and btrfs-progs; unmounted and detached again by the cleanup.
import { execFile } from "node:child_process";
import fsp from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { findTool } from "../server/mysql/tools";
import { onCleanup } from "./cleanup";
import { log } from "./log";

const exec = promisify(execFile);

export type BtrfsVolume = { mnt: string; subvolume: string; image: string; loopDevice: string | null; destroy(): Promise<void> };

/** Why a Btrfs volume cannot be made here, or null when it can. */
export function btrfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "not running as root (loop mounts need root)";
  for (const t of ["mkfs.btrfs", "btrfs", "losetup", "mount", "umount"]) if (!findTool(t)) return `${t} is not installed (apt-get install btrfs-progs)`;
  return null;
}

async function loopDevicesOf(image: string): Promise<string[]> {
  const { stdout } = await exec("losetup", ["-j", image]).catch(() => ({ stdout: "" }));
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(":")[0]!);
}

export async function createBtrfsVolume(baseDir: string, sizeGb: number): Promise<BtrfsVolume> {
  const image = path.join(baseDir, "btrfs.img");
  const mnt = path.join(baseDir, "btrfs");
  await exec("truncate", ["-s", `${Math.ceil(sizeGb)}G`, image]);
  await exec("mkfs.btrfs", ["-q", image]);
  await fsp.mkdir(mnt, { recursive: true });
  let mounted = false;
  const destroy = async () => {
    if (mounted) {
      for (let i = 0; ; i++) {
        try {
          await exec("umount", [mnt]);
          break;
        } catch (e) {
          if (i >= 5) {
            log(`umount ${mnt} keeps failing (${(e as Error).message.trim()}); detaching it lazily`);
            await exec("umount", ["-l", mnt]).catch(() => undefined);
            break;
          }
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      mounted = false;
    }
    // mount -o loop sets autoclear, so the device goes with the mount; detach any that stayed
    for (const d of await loopDevicesOf(image)) await exec("losetup", ["-d", d]).catch(() => undefined);
    await fsp.rm(image, { force: true });
    await fsp.rm(mnt, { recursive: true, force: true }).catch(() => undefined);
  };
  const unregister = onCleanup(`unmount ${mnt} and detach its loop device`, destroy);
  await exec("mount", ["-o", "loop", image, mnt]);
  mounted = true;
  const loop = (await loopDevicesOf(image))[0] ?? null;
  const subvolume = path.join(mnt, "mysql");
  await exec("btrfs", ["subvolume", "create", subvolume]);
  return {
    mnt,
    subvolume,
    image,
    loopDevice: loop,
    async destroy() {
      await destroy();
      unregister();
    },
  };
}
