import { execFileSync } from "node:child_process";
import type { ServerFacts } from "../../mysql/server-facts";
import { findTool } from "../../mysql/tools";
import type { EngineAvailability } from "../types";
import { lockPrivilegeReasons } from "./privileges";
import { looksLikeLvm } from "./resolve-backend";

const sourceCache = new Map<string, { source: string | null; at: number }>();

/** The device holding a local path (findmnt), cached for a minute; availability() must be quick. */
function mountSource(p: string): string | null {
  const hit = sourceCache.get(p);
  if (hit && Date.now() - hit.at < 60_000) return hit.source;
  let source: string | null = null;
  try {
    source = execFileSync("findmnt", ["-n", "-o", "SOURCE", "--target", p], { timeout: 2000, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || null;
  } catch {
    source = null;
  }
  sourceCache.set(p, { source, at: Date.now() });
  return source;
}

/** Which snapshot backend these facts allow ("btrfs" | "zfs" | "lvm"), or null. */
export function snapshotCapability(f: ServerFacts): "btrfs" | "zfs" | "lvm" | null {
  if (!f.isLocal || !f.datadir) return null;
  if (f.datadirFilesystem === "btrfs") return "btrfs";
  if (f.datadirFilesystem === "zfs") return "zfs";
  const src = mountSource(f.datadir);
  return src && looksLikeLvm(src) ? "lvm" : null;
}

/** Whether the snapshot engine can back up this server from this machine, and if not, what to do. */
export function snapshotAvailability(f: ServerFacts): EngineAvailability {
  const reasons: string[] = [];
  if (!f.isLocal) {
    reasons.push("the server runs on another machine: snapshots are taken of the local datadir; run a dbbackup runner on the database host or choose another engine");
    return { available: false, reasons };
  }
  const kind = snapshotCapability(f);
  if (!kind) {
    reasons.push(
      `the datadir ${f.datadir || "?"} is on ${f.datadirFilesystem ?? "an unknown filesystem"}, which cannot be snapshotted: put it on a Btrfs subvolume, a ZFS dataset or an LVM logical volume`,
    );
  } else {
    const tool = kind === "btrfs" ? "btrfs" : kind === "zfs" ? "zfs" : "lvcreate";
    const pkg = kind === "btrfs" ? "btrfs-progs" : kind === "zfs" ? "zfsutils-linux" : "lvm2";
    if (!findTool(tool)) reasons.push(`the ${tool} command is missing on this machine: apt-get install ${pkg}`);
    if (kind !== "zfs" && process.getuid?.() !== 0) reasons.push(`${kind === "btrfs" ? "Btrfs" : "LVM"} snapshots need root: run the dbbackup runner as root (or with CAP_SYS_ADMIN)`);
  }
  reasons.push(...lockPrivilegeReasons(f));
  return { available: reasons.length === 0, reasons };
}
