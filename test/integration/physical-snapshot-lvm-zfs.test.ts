// LVM and ZFS cannot run on this machine (no device-mapper snapshot target, no zfsutils), so their
// backends are tested by their command conversation: a scripted runner asserts the exact commands
// and their order and answers with recorded output. Everything else is real: the MariaDB server
// whose commits are locked, the tar stream, the backup set, and a restore of the archive.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { createSnapshotEngine } from "../../server/engines/snapshot/snapshot-engine";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import type { ServerFacts } from "../../server/mysql/server-facts";
import { restorePhysicalToSandbox } from "../../server/restore/physical/restore-to-sandbox";
import { LocalStore } from "../../server/storage/local-store";
import { collect } from "../../server/storage/object-store";
import { factsOf, runBackup, ScriptedRunner, seedSample, tableStates, testContext, type ScriptStep } from "../helpers/physical";

let source: Sandbox;
let facts: ServerFacts;
let work: string;
let mountBase: string;
let store: LocalStore;
let n = 0;

beforeAll(async () => {
  source = await startSandbox();
  await seedSample(source, 500);
  facts = await factsOf(source);
  work = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-phys-lvmzfs-"));
  mountBase = path.join(work, "mnt");
  await fs.mkdir(mountBase);
  store = new LocalStore(path.join(work, "store"));
}, 120_000);

afterAll(async () => {
  await source?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

/** What a mounted snapshot shows: a copy of the (quiet) server's datadir. */
async function fillWithDatadir(dir: string) {
  await fs.mkdir(dir, { recursive: true });
  await fs.cp(source.datadir, dir, { recursive: true });
}

async function emptyDir(dir: string) {
  for (const n of await fs.readdir(dir).catch(() => [] as string[])) await fs.rm(path.join(dir, n), { recursive: true, force: true });
}

/** A write on another connection must wait: proves the command runs while commits are blocked. */
async function expectCommitsBlocked() {
  const c = await source.connect();
  try {
    await c.query("SET SESSION lock_wait_timeout = 1");
    await expect(c.query("INSERT INTO shop.markers (label, at) VALUES ('during snapshot', NOW())")).rejects.toThrow(/Lock wait timeout/);
  } finally {
    c.destroy();
  }
}

function backup(runner: ScriptedRunner, options: Record<string, unknown>, ctx = testContext()) {
  const id = `b${++n}`;
  const engine = createSnapshotEngine({ runner, mountBase });
  return {
    id,
    ctx,
    result: runBackup({ engine, ctx, sb: source, facts, store, prefix: `source/${id}/`, encoding: { compression: "zstd", key: null }, options }).catch((e) => e as Error & { set?: { abort(e: unknown): Promise<void> } }),
  };
}

const FINDMNT = (target: string) => `findmnt -n -P -o SOURCE,FSTYPE,TARGET,OPTIONS --target ${target}`;

describe("LVM backend (scripted lvcreate/mount/lvremove conversation)", () => {
  const lvmMount = 'SOURCE="/dev/mapper/vg_mysql-lv_data" FSTYPE="xfs" TARGET="/var/lib/mysql" OPTIONS="rw,relatime"\n';
  const head = (): ScriptStep[] => [
    { line: FINDMNT("/var/lib/mysql"), stdout: lvmMount },
    { line: "lvs --noheadings --separator '|' -o vg_name,lv_name /dev/mapper/vg_mysql-lv_data", stdout: "  vg_mysql|lv_data\n" },
    { line: "vgs --noheadings --nosuffix --units b -o vg_free vg_mysql", stdout: "  53687091200\n" },
  ];

  it("snapshots the volume under the commit lock, streams the read-only mount, checks the snapshot did not overflow, unmounts and removes it", async () => {
    const id = `b${n + 1}`;
    const mnt = path.join(mountBase, `dbbackup-${id}`);
    const runner = new ScriptedRunner([
      ...head(),
      { line: `lvcreate -s -L 10G -n dbbackup-${id} vg_mysql/lv_data`, stdout: `  Logical volume "dbbackup-${id}" created.\n`, effect: expectCommitsBlocked },
      { line: `mount -o ro,nouuid /dev/vg_mysql/dbbackup-${id} ${mnt}`, effect: () => fillWithDatadir(mnt) },
      { line: `lvs --noheadings --separator '|' -o lv_attr,snap_percent vg_mysql/dbbackup-${id}`, stdout: "  swi-aos---|3.12\n" },
      { line: `umount ${mnt}`, effect: () => emptyDir(mnt) },
      { line: `lvremove -f vg_mysql/dbbackup-${id}`, stdout: `  Logical volume "dbbackup-${id}" successfully removed.\n` },
    ]);
    // the seed's YAML field names
    const b = backup(runner, { datadir: "/var/lib/mysql", snapshot: { backend: "auto", lvm: { volume_group: undefined, snapshot_size: "10G" } } });
    const r = await b.result;
    if (r instanceof Error) throw r;
    expect(runner.remaining).toEqual([]);
    expect(runner.calls).toHaveLength(8);
    expect(r.manifest.details.snapshot).toMatchObject({ backend: "lvm", volumeGroup: "vg_mysql", logicalVolume: "lv_data", snapshot: `vg_mysql/dbbackup-${id}` });
    expect(r.manifest.lockMs).toBeGreaterThan(900); // includes the 1 s probe write that had to wait
    expect(await fs.readdir(mountBase)).toEqual([]);

    // the archive read through the "mount" is a working datadir
    const restored = await restorePhysicalToSandbox(testContext(), { reader: await BackupSetReader.open(store, `source/${id}/`), dir: path.join(work, `restore-${id}`) });
    try {
      expect(await tableStates(restored)).toEqual(await tableStates(source));
    } finally {
      await restored.stop();
    }
  });

  it("lvcreate without free extents: the seed's advice, the lock is released and nothing is left to remove", async () => {
    const id = `b${n + 1}`;
    const runner = new ScriptedRunner([
      ...head(),
      { line: `lvcreate -s -L 10G -n dbbackup-${id} vg_mysql/lv_data`, code: 5, stderr: '  Volume group "vg_mysql" has insufficient free space (255 extents): 2560 required.\n' },
    ]);
    const b = backup(runner, { datadir: "/var/lib/mysql" });
    const err = await b.result;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/LVM snapshot fails: check free space in the volume group \(vgs vg_mysql\)/);
    expect(runner.remaining).toEqual([]);
    expect(runner.calls.at(-1)).toMatch(/^lvcreate/); // no umount, no lvremove: nothing was created
    expect(await fs.readdir(mountBase)).toEqual([]);
    await source.sql("INSERT INTO shop.markers (label, at) VALUES ('after failed lvcreate', NOW())"); // commits flow again
  });

  it("not enough free space in the volume group is found before locking", async () => {
    const runner = new ScriptedRunner([...head().slice(0, 2), { line: "vgs --noheadings --nosuffix --units b -o vg_free vg_mysql", stdout: "  1073741824\n" }]);
    const err = await backup(runner, { datadir: "/var/lib/mysql", lvm: { snapshot_size: "5G" } }).result;
    expect((err as Error).message).toMatch(/volume group vg_mysql has 1024 MiB free but lvm.snapshot_size is 5G.*vgs vg_mysql/);
    expect(runner.calls).toHaveLength(3);
  });

  it("a kernel without the device-mapper snapshot target (this machine's case) is explained", async () => {
    const id = `b${n + 1}`;
    const runner = new ScriptedRunner([
      ...head(),
      { line: `lvcreate -s -L 10G -n dbbackup-${id} vg_mysql/lv_data`, code: 5, stderr: "  /sbin/modprobe failed: 1\n  snapshot: Required device-mapper target(s) not detected in your kernel.\n" },
    ]);
    const err = await backup(runner, { datadir: "/var/lib/mysql" }).result;
    expect((err as Error).message).toMatch(/no device-mapper snapshot target: load it \(modprobe dm_snapshot\)/);
  });

  it("an overflowed snapshot fails the backup (with lvextend advice) and is still unmounted and removed", async () => {
    const id = `b${n + 1}`;
    const mnt = path.join(mountBase, `dbbackup-${id}`);
    const runner = new ScriptedRunner([
      ...head(),
      { line: `lvcreate -s -L 10G -n dbbackup-${id} vg_mysql/lv_data` },
      { line: `mount -o ro,nouuid /dev/vg_mysql/dbbackup-${id} ${mnt}`, effect: () => fillWithDatadir(mnt) },
      { line: `lvs --noheadings --separator '|' -o lv_attr,snap_percent vg_mysql/dbbackup-${id}`, stdout: "  swi-I-s---|100.00\n" },
      { line: `umount ${mnt}`, effect: () => emptyDir(mnt) },
      { line: `lvremove -f vg_mysql/dbbackup-${id}` },
    ]);
    const b = backup(runner, { datadir: "/var/lib/mysql" });
    const err = (await b.result) as Error & { set: { abort(e: unknown): Promise<void> } };
    expect(err.message).toMatch(/overflowed.*lvextend -L \+10G \/dev\/vg_mysql\/dbbackup-/);
    expect(runner.remaining).toEqual([]);
    await err.set.abort(err);
    expect(await collect(store.list(`source/${id}/`))).toEqual([]);
  });

  it("cancelled while streaming: unmounted and removed; a failed removal is logged with the commands to run by hand", async () => {
    const id = `b${n + 1}`;
    const mnt = path.join(mountBase, `dbbackup-${id}`);
    const runner = new ScriptedRunner([
      ...head(),
      { line: `lvcreate -s -L 10G -n dbbackup-${id} vg_mysql/lv_data` },
      { line: `mount -o ro,nouuid /dev/vg_mysql/dbbackup-${id} ${mnt}`, effect: () => fillWithDatadir(mnt) },
      { line: `umount ${mnt}`, effect: () => emptyDir(mnt) },
      { line: `lvremove -f vg_mysql/dbbackup-${id}`, code: 5, stderr: `  Logical volume vg_mysql/dbbackup-${id} contains a filesystem in use.\n` },
    ]);
    const ctx = testContext((p, c) => {
      if ((p.bytesDone ?? 0) > 1_000_000 && !c.signal.aborted) c.controller.abort(new Error("cancelled by the test"));
    });
    const err = await backup(runner, { datadir: "/var/lib/mysql" }, ctx).result;
    expect((err as Error).message).toMatch(/cancelled by the test/);
    expect(runner.remaining).toEqual([]);
    expect(ctx.logs.join("\n")).toMatch(new RegExp(`error: Could not remove the snapshot .*Remove it by hand: lvremove -f vg_mysql/dbbackup-${id}`));
  });
});

describe("ZFS backend (scripted zfs snapshot/destroy conversation)", () => {
  let dsMount: string;
  beforeAll(async () => {
    dsMount = path.join(work, "tank-mysql");
    await fs.mkdir(dsMount);
  });
  const zfsMount = () => `SOURCE="tank/mysql" FSTYPE="zfs" TARGET="${dsMount}" OPTIONS="rw,xattr,noacl"\n`;

  it("snapshots the dataset under the lock, reads it through .zfs/snapshot, and destroys it", async () => {
    const id = `b${n + 1}`;
    const snapDir = () => path.join(dsMount, ".zfs", "snapshot", `dbbackup-${id}`, "data");
    const runner = new ScriptedRunner([
      { line: FINDMNT(`${dsMount}/data`), stdout: zfsMount() },
      { line: "zfs get -H -o value mountpoint tank/mysql", stdout: `${dsMount}\n` },
      {
        line: `zfs snapshot tank/mysql@dbbackup-${id}`,
        effect: async () => {
          await expectCommitsBlocked();
          await fillWithDatadir(snapDir());
        },
      },
      { line: `zfs destroy tank/mysql@dbbackup-${id}`, effect: () => fs.rm(path.join(dsMount, ".zfs"), { recursive: true }) },
    ]);
    const r = await backup(runner, { datadir: `${dsMount}/data`, snapshotBackend: "zfs", zfs: { dataset: "tank/mysql" } }).result;
    if (r instanceof Error) throw r;
    expect(runner.remaining).toEqual([]);
    expect(r.manifest.details.snapshot).toEqual({ backend: "zfs", dataset: "tank/mysql", snapshot: `tank/mysql@dbbackup-${id}`, access: "snapdir" });
    expect(r.manifest.objects[0]!.rawSize).toBeGreaterThan(10_000_000);
  });

  it("through a read-only clone (zfs.access = clone): clone destroyed before the snapshot", async () => {
    const id = `b${n + 1}`;
    const cloneDir = path.join(mountBase, `dbbackup-${id}`);
    const runner = new ScriptedRunner([
      { line: FINDMNT(`${dsMount}/data`), stdout: zfsMount() },
      { line: "zfs get -H -o value mountpoint tank/mysql", stdout: "legacy\n" },
      { line: `zfs snapshot tank/mysql@dbbackup-${id}` },
      { line: `zfs clone -o readonly=on -o mountpoint=${cloneDir} tank/mysql@dbbackup-${id} tank/dbbackup-${id}-clone`, effect: () => fillWithDatadir(path.join(cloneDir, "data")) },
      { line: `zfs destroy tank/dbbackup-${id}-clone`, effect: () => emptyDir(cloneDir) },
      { line: `zfs destroy tank/mysql@dbbackup-${id}` },
    ]);
    const r = await backup(runner, { datadir: `${dsMount}/data`, zfs: { access: "clone" } }).result;
    if (r instanceof Error) throw r;
    expect(runner.remaining).toEqual([]);
    expect(await fs.readdir(mountBase)).toEqual([]);
  });

  it("permission denied: the seed's `zfs allow` remedy, and the lock is released", async () => {
    const id = `b${n + 1}`;
    const runner = new ScriptedRunner([
      { line: FINDMNT(`${dsMount}/data`), stdout: zfsMount() },
      { line: "zfs get -H -o value mountpoint tank/mysql", stdout: `${dsMount}\n` },
      { line: `zfs snapshot tank/mysql@dbbackup-${id}`, code: 1, stderr: "cannot create snapshot 'tank/mysql@x': permission denied\n" },
    ]);
    const err = await backup(runner, { datadir: `${dsMount}/data` }).result;
    expect((err as Error).message).toMatch(new RegExp(`ZFS permission denied: zfs allow -u ${os.userInfo().username} create,snapshot,mount,destroy tank/mysql`));
    expect(runner.remaining).toEqual([]);
    expect(runner.calls).toHaveLength(3); // nothing to destroy
    await source.sql("INSERT INTO shop.markers (label, at) VALUES ('after failed zfs snapshot', NOW())");
  });

  it("fails after the snapshot (archive not readable): the snapshot is destroyed anyway", async () => {
    const id = `b${n + 1}`;
    const runner = new ScriptedRunner([
      { line: FINDMNT(`${dsMount}/data`), stdout: zfsMount() },
      { line: "zfs get -H -o value mountpoint tank/mysql", stdout: `${dsMount}\n` },
      { line: `zfs snapshot tank/mysql@dbbackup-${id}` }, // but .zfs/snapshot/<name> never appears
      { line: `zfs destroy tank/mysql@dbbackup-${id}` },
    ]);
    const err = await backup(runner, { datadir: `${dsMount}/data` }).result;
    expect((err as Error).message).toMatch(/not visible at .*\.zfs\/snapshot.*zfs\.access to "clone"/);
    expect(runner.remaining).toEqual([]);
  });

  it("a datadir on ext4 cannot be snapshotted, and says what to do", async () => {
    const runner = new ScriptedRunner([{ line: FINDMNT("/srv/mysql"), stdout: 'SOURCE="/dev/vda" FSTYPE="ext4" TARGET="/" OPTIONS="rw"\n' }]);
    const err = await backup(runner, { datadir: "/srv/mysql" }).result;
    expect((err as Error).message).toMatch(/is on ext4 \(\/dev\/vda.*cannot be snapshotted.*Btrfs subvolume, a ZFS dataset or an LVM logical volume/);
  });
});
