import { z } from "zod";
import { DomainError } from "../../errors";

export const SNAPSHOT_BACKENDS = ["btrfs", "lvm", "zfs"] as const;
export type SnapshotBackendName = (typeof SNAPSHOT_BACKENDS)[number];

const str = z.string().trim().min(1).optional();
// The seed's YAML names (snapshot.backend, lvm.volume_group, ...) and camelCase both work.
const lvm = z.object({ volume_group: str, volumeGroup: str, logical_volume: str, logicalVolume: str, snapshot_size: str, snapshotSize: str }).partial().default({});
const zfs = z.object({ dataset: str, access: z.enum(["snapdir", "clone"]).optional() }).partial().default({});
const btrfs = z.object({ subvolume: str, snapshot_dir: str, snapshotDir: str }).partial().default({});
const block = z.object({ backend: z.enum(["auto", ...SNAPSHOT_BACKENDS]).optional(), lvm, zfs, btrfs }).partial();

const raw = z
  .object({
    datadir: str,
    snapshotBackend: z.enum(["auto", ...SNAPSHOT_BACKENDS]).optional(),
    snapshot: block.optional(),
    lvm: lvm.optional(),
    zfs: zfs.optional(),
    btrfs: btrfs.optional(),
    lockWaitTimeoutSeconds: z.coerce.number().positive().max(3600).optional(),
    lockMethod: z.enum(["auto", "backup-stage", "ftwrl"]).optional(),
  })
  .passthrough();

export type SnapshotOptions = {
  datadir: string | null;
  backend: "auto" | SnapshotBackendName;
  lockWaitTimeoutSeconds: number;
  lockMethod: "auto" | "backup-stage" | "ftwrl";
  lvm: { volumeGroup?: string; logicalVolume?: string; snapshotSize: string };
  zfs: { dataset?: string; access: "snapdir" | "clone" };
  btrfs: { subvolume?: string; snapshotDir?: string };
};

export const DEFAULT_LOCK_WAIT_SECONDS = 10;

/** Reads the snapshot engine's options from a backup request's free-form options. */
export function parseSnapshotOptions(options: Record<string, unknown> | undefined): SnapshotOptions {
  const r = raw.safeParse(options ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new DomainError("INVALID", `Snapshot option ${i.path.join(".")}: ${i.message}`, { field: i.path.join(".") });
  }
  const o = r.data;
  const l = { ...o.snapshot?.lvm, ...o.lvm };
  const zf = { ...o.snapshot?.zfs, ...o.zfs };
  const b = { ...o.snapshot?.btrfs, ...o.btrfs };
  const size = l.snapshot_size ?? l.snapshotSize ?? "10G";
  if (!/^\d+(\.\d+)?[bBsSkKmMgGtTpPeE]?$|^\d+%(VG|FREE|ORIGIN)$/.test(size)) {
    throw new DomainError("INVALID", `lvm.snapshot_size ${JSON.stringify(size)} is not an LVM size (e.g. 10G, 512M, 20%ORIGIN).`, { field: "lvm.snapshot_size" });
  }
  return {
    datadir: o.datadir ?? null,
    backend: o.snapshotBackend ?? o.snapshot?.backend ?? "auto",
    lockWaitTimeoutSeconds: o.lockWaitTimeoutSeconds ?? DEFAULT_LOCK_WAIT_SECONDS,
    lockMethod: o.lockMethod ?? "auto",
    lvm: { volumeGroup: l.volume_group ?? l.volumeGroup, logicalVolume: l.logical_volume ?? l.logicalVolume, snapshotSize: size },
    zfs: { dataset: zf.dataset, access: zf.access ?? "snapdir" },
    btrfs: { subvolume: b.subvolume, snapshotDir: b.snapshot_dir ?? b.snapshotDir },
  };
}
