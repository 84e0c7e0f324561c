import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DomainError } from "../../errors";
import { failure, relativeInside, type SnapshotBackend } from "./backend";
import { commandLine, type CommandRunner } from "./command-runner";
import type { MountInfo } from "./mount-info";

/**
 * ZFS: `zfs snapshot <dataset>@<name>`, read through the dataset's `.zfs/snapshot/<name>`
 * directory (or, with zfs.access = "clone", a read-only `zfs clone` mounted in a temporary
 * directory), then `zfs destroy`.
 */
export async function zfsBackend(opts: {
  runner: CommandRunner;
  datadir: string;
  mount: MountInfo;
  name: string;
  dataset?: string;
  access: "snapdir" | "clone";
  mountBase?: string;
}): Promise<SnapshotBackend> {
  const { runner, datadir, mount, name, access } = opts;
  const dataset = opts.dataset ?? (mount.fstype === "zfs" ? mount.source : undefined);
  if (!dataset) throw new DomainError("PRECONDITION", `${datadir} is not on ZFS (it is on ${mount.fstype} ${mount.source}); set zfs.dataset or use another backend.`);
  const snap = `${dataset}@${name}`;
  const clone = `${dataset.split("/")[0]}/${name}-clone`;
  const cloneDir = path.join(opts.mountBase ?? os.tmpdir(), name);
  let mountpoint = mount.target;
  let rel: string | null = null;
  let created = false;
  let cloned = false;
  const user = os.userInfo().username;

  const advice = (stderr: string) =>
    /permission denied|not permitted|insufficient privileges/i.test(stderr)
      ? `ZFS permission denied: zfs allow -u ${user} create,snapshot,mount,destroy ${dataset}`
      : /dataset does not exist/i.test(stderr)
        ? `Dataset ${dataset} does not exist (zfs list); set zfs.dataset to the dataset holding ${datadir}.`
        : /out of space/i.test(stderr)
          ? `The pool is full (zfs list -o space ${dataset}).`
          : "";
  const run = async (what: string, args: string[]) => {
    const r = await runner.run("zfs", args);
    if (r.code !== 0) throw failure(what, commandLine("zfs", args), r, advice(r.stderr));
    return r.stdout;
  };

  return {
    name: "zfs",
    source: `ZFS dataset ${dataset}`,
    async prepare() {
      const mp = (await run(`Reading the mount point of ${dataset}`, ["get", "-H", "-o", "value", "mountpoint", dataset])).trim();
      // "legacy" datasets are mounted through fstab: findmnt's mount point is the real one
      if (mp && mp.startsWith("/")) mountpoint = mp;
      rel = relativeInside(mountpoint, datadir);
      if (rel === null) throw new DomainError("PRECONDITION", `The datadir ${datadir} is not inside ZFS dataset ${dataset} (mounted at ${mountpoint}); set zfs.dataset to the dataset that holds it.`);
    },
    async create() {
      await run(`ZFS snapshot of ${dataset}`, ["snapshot", snap]);
      created = true;
    },
    async open() {
      if (access === "clone") {
        await run(`Cloning ${snap} for reading`, ["clone", "-o", "readonly=on", "-o", `mountpoint=${cloneDir}`, snap, clone]);
        cloned = true;
        return rel ? path.join(/* turbopackIgnore: true */ cloneDir, rel) : cloneDir;
      }
      const dir = path.join(mountpoint, ".zfs", "snapshot", name, rel ?? "");
      try {
        await fs.access(dir);
      } catch {
        throw new DomainError("PRECONDITION", `The snapshot is not visible at ${dir} (is ${dataset} mounted?). Set zfs.access to "clone" to read it through a temporary clone.`);
      }
      return dir;
    },
    async verify() {},
    async remove() {
      const problems: string[] = [];
      if (cloned) {
        const r = await runner.run("zfs", ["destroy", clone]);
        if (r.code === 0) cloned = false;
        else problems.push(`zfs destroy ${clone}: ${r.stderr.trim()} ${advice(r.stderr)}`.trim());
        await fs.rmdir(cloneDir).catch(() => undefined);
      }
      if (created && !cloned) {
        const r = await runner.run("zfs", ["destroy", snap]);
        if (r.code === 0) created = false;
        else problems.push(`zfs destroy ${snap}: ${r.stderr.trim()} ${advice(r.stderr)}`.trim());
      }
      if (problems.length) throw new DomainError("UNAVAILABLE", problems.join("; "));
    },
    manualCleanup: () => [...(cloned ? [commandLine("zfs", ["destroy", clone])] : []), ...(created ? [commandLine("zfs", ["destroy", snap])] : [])],
    describe: () => ({ backend: "zfs", dataset, snapshot: snap, access, ...(access === "clone" ? { clone } : {}) }),
  };
}
