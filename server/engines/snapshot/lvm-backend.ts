import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DomainError } from "../../errors";
import { failure, relativeInside, type SnapshotBackend } from "./backend";
import { commandLine, type CommandRunner } from "./command-runner";
import type { MountInfo } from "./mount-info";

const UNITS: Record<string, number> = { b: 1, s: 512, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/** Bytes of an LVM size like "10G" (binary units, megabytes without a suffix); null for "20%ORIGIN". */
export function lvmSizeBytes(size: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([a-z]?)$/i.exec(size);
  if (!m) return null;
  return Math.round(Number(m[1]) * UNITS[(m[2] || "m").toLowerCase()]!);
}

/**
 * LVM: a copy-on-write snapshot of the logical volume holding the datadir
 * (`lvcreate -s -L <size> -n <name> vg/lv`), mounted read-only in a temporary directory, then
 * unmounted and removed (`lvremove -f`). The snapshot has a fixed size for changed blocks: if the
 * origin changes more than that while the archive is read, the snapshot becomes invalid, which
 * verify() detects so a damaged copy is never reported as a good backup.
 */
export async function lvmBackend(opts: {
  runner: CommandRunner;
  datadir: string;
  mount: MountInfo;
  name: string;
  volumeGroup?: string;
  logicalVolume?: string;
  snapshotSize: string;
  mountBase?: string;
}): Promise<SnapshotBackend> {
  const { runner, datadir, mount, name, snapshotSize } = opts;
  const rel = relativeInside(mount.target, datadir);
  if (rel === null) throw new DomainError("PRECONDITION", `The datadir ${datadir} is not under the mount point ${mount.target}.`);
  let vg = opts.volumeGroup;
  let lv = opts.logicalVolume;
  const mountDir = path.join(opts.mountBase ?? os.tmpdir(), name);
  let created = false;
  let mounted = false;
  let madeDir = false;
  const snapLv = () => `${vg}/${name}`;
  const snapDev = () => `/dev/${vg}/${name}`;

  const run = async (what: string, cmd: string, args: string[], advice: (stderr: string) => string) => {
    const r = await runner.run(cmd, args);
    if (r.code !== 0) throw failure(what, commandLine(cmd, args), r, advice(r.stderr));
    return r.stdout;
  };
  const commonAdvice = (stderr: string) =>
    /device-mapper target/i.test(stderr)
      ? "This kernel has no device-mapper snapshot target: load it (modprobe dm_snapshot) or use another backend or engine."
      : /permission denied|must be root|not permitted/i.test(stderr)
        ? "LVM snapshots need root on this machine: run the dbbackup runner as root (or with CAP_SYS_ADMIN)."
        : "";

  return {
    name: "lvm",
    get source() {
      return `LVM volume ${vg ?? "?"}/${lv ?? "?"} (${mount.source})`;
    },
    async prepare() {
      if (!vg || !lv) {
        const out = await run(`Finding the LVM volume of ${mount.source}`, "lvs", ["--noheadings", "--separator", "|", "-o", "vg_name,lv_name", mount.source], (e) =>
          /not found|Failed to find|not a valid/i.test(e) ? `${mount.source} (holding ${datadir}) is not an LVM logical volume: use another backend, or set lvm.volume_group and lvm.logical_volume.` : commonAdvice(e),
        );
        const [v, l] = out.trim().split("|").map((s) => s.trim());
        if (!v || !l) throw new DomainError("PRECONDITION", `lvs did not name a volume group and logical volume for ${mount.source} (got ${JSON.stringify(out.trim())}).`);
        vg ??= v;
        lv ??= l;
      }
      const want = lvmSizeBytes(snapshotSize);
      if (want !== null) {
        const free = Number((await run(`Reading free space of volume group ${vg}`, "vgs", ["--noheadings", "--nosuffix", "--units", "b", "-o", "vg_free", vg], commonAdvice)).trim());
        if (Number.isFinite(free) && free < want) {
          throw new DomainError(
            "PRECONDITION",
            `LVM snapshot cannot be created: volume group ${vg} has ${Math.floor(free / 2 ** 20)} MiB free but lvm.snapshot_size is ${snapshotSize}. ` +
              `Check free space in the volume group (vgs ${vg}); add a disk to it (vgextend ${vg} /dev/sdX) or lower lvm.snapshot_size.`,
          );
        }
      }
      try {
        await fs.mkdir(mountDir, { mode: 0o700 });
        madeDir = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    },
    async create() {
      const sizeArgs = snapshotSize.includes("%") ? ["-l", snapshotSize] : ["-L", snapshotSize];
      await run(`LVM snapshot of ${vg}/${lv}`, "lvcreate", ["-s", ...sizeArgs, "-n", name, `${vg}/${lv}`], (e) =>
        /insufficient free|Insufficient/i.test(e)
          ? `LVM snapshot fails: check free space in the volume group (vgs ${vg}); add space (vgextend ${vg} /dev/sdX) or lower lvm.snapshot_size (now ${snapshotSize}).`
          : commonAdvice(e),
      );
      created = true;
    },
    async open() {
      // XFS refuses to mount a second filesystem with the same UUID unless told to
      const options = mount.fstype === "xfs" ? "ro,nouuid" : "ro";
      await run(`Mounting the snapshot ${snapDev()}`, "mount", ["-o", options, snapDev(), mountDir], commonAdvice);
      mounted = true;
      return rel ? path.join(mountDir, rel) : mountDir;
    },
    async verify() {
      const out = await run(`Checking the snapshot ${snapLv()}`, "lvs", ["--noheadings", "--separator", "|", "-o", "lv_attr,snap_percent", snapLv()], commonAdvice);
      const [attr = "", pct = ""] = out.trim().split("|").map((s) => s.trim());
      const used = Number(pct.replace(",", "."));
      if (attr[4] === "I" || used >= 100) {
        throw new DomainError(
          "PRECONDITION",
          `The LVM snapshot ${snapLv()} overflowed while it was read (${Number.isFinite(used) ? used + "% used" : `attributes ${attr}`}): the origin changed more than lvm.snapshot_size (${snapshotSize}) allows, so the copy is unusable. ` +
            `Raise lvm.snapshot_size, back up at a quieter time, or extend the snapshot while it runs (lvextend -L +10G ${snapDev()}).`,
        );
      }
    },
    async remove() {
      const problems: string[] = [];
      if (mounted) {
        const r = await runner.run("umount", [mountDir]);
        if (r.code === 0) mounted = false;
        else problems.push(`umount ${mountDir}: ${r.stderr.trim()}`);
      }
      if (!mounted && madeDir) {
        await fs.rmdir(mountDir).catch(() => undefined);
        madeDir = false;
      }
      if (created && !mounted) {
        const r = await runner.run("lvremove", ["-f", snapLv()]);
        if (r.code === 0) created = false;
        else problems.push(`lvremove -f ${snapLv()}: ${r.stderr.trim()}`);
      }
      if (problems.length) throw new DomainError("UNAVAILABLE", problems.join("; "));
    },
    manualCleanup: () => [...(mounted ? [commandLine("umount", [mountDir])] : []), ...(created ? [commandLine("lvremove", ["-f", snapLv()])] : [])],
    describe: () => ({ backend: "lvm", volumeGroup: vg, logicalVolume: lv, snapshot: snapLv(), snapshotSize, device: mount.source, fstype: mount.fstype }),
  };
}
