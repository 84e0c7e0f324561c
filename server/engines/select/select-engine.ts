import type { ServerFacts } from "../../mysql/server-facts";
import { versionAtLeast } from "../../mysql/server-facts";
import { snapshotCapability } from "../snapshot/availability";
import type { BackupEngine, EngineChoice } from "../types";

/** The seed's line between "small" and "large": prefer physical engines above 10 GB. */
export const PHYSICAL_THRESHOLD_BYTES = 10 * 2 ** 30;

export type SelectorOptions = {
  /** where the backup goes: "s3" prefers engines that stream without staging a copy locally */
  destination?: "local" | "s3";
  physicalThresholdBytes?: number;
  /** choose a physical engine whenever one is available, whatever the size */
  preferPhysical?: boolean;
};

export type EngineSelector = (facts: ServerFacts, available: BackupEngine[]) => EngineChoice | null;

/** "250GB", "50GB", "1.2GB", "380MB": sizes the way the seed writes them in reasons. */
export function sizeWords(bytes: number): string {
  const gb = bytes / 2 ** 30;
  if (gb >= 10) return `${Math.round(gb)}GB`;
  if (gb >= 1) return `${Math.round(gb * 10) / 10}GB`;
  return `${Math.max(1, Math.round(bytes / 2 ** 20))}MB`;
}

function flavorName(f: ServerFacts) {
  return f.flavor === "mariadb" ? "MariaDB" : f.flavor === "percona" ? "Percona Server" : "MySQL";
}

/** Why no physical engine could be used, in a few words, for the logical engine's reason. */
function whyNotPhysical(f: ServerFacts): string[] {
  const why: string[] = [];
  if (!f.isLocal) why.push(`${flavorName(f)} ${f.version} on a remote host: snapshot and ${f.flavor === "mariadb" ? "mariabackup" : "xtrabackup"} need a runner on the database host`);
  if (f.flavor !== "mariadb" && !versionAtLeast(f.version, "8.0.17")) why.push("clone needs MySQL 8.0.17+");
  else if (f.flavor !== "mariadb" && f.clonePlugin !== "active") why.push("the clone plugin is not active");
  if (f.isLocal && !snapshotCapability(f)) why.push(`the datadir is on ${f.datadirFilesystem ?? "an unknown filesystem"} (no snapshots)`);
  return why;
}

/**
 * The seed's selection rules, in order: 1. database size (physical above 10 GB), 2. version and
 * edition, 3. clone plugin availability, 4. filesystem snapshot capability, 5. destination (a cloud
 * destination favours engines that stream with no local copy; clone writes a full local copy first).
 * Returns the choice with a sentence saying why, or null when nothing available fits.
 */
export function createEngineSelector(opts: SelectorOptions = {}): EngineSelector {
  const threshold = opts.physicalThresholdBytes ?? PHYSICAL_THRESHOLD_BYTES;
  return (f, available) => {
    const by = (name: string) => available.find((e) => e.name === name);
    const size = sizeWords(f.totalBytes);
    const large = f.totalBytes > threshold || !!opts.preferPhysical;
    const logical = by("logical");
    const clone = by("clone");
    const snapshot = by("snapshot");
    const hot = by(f.flavor === "mariadb" ? "mariabackup" : "xtrabackup");

    if (!large && logical) {
      return { engine: logical, reason: `${size} database (under ${sizeWords(threshold)}): logical backup is portable across versions and restores table by table` };
    }
    const streaming = snapshot ?? hot;
    if (clone && !(opts.destination === "s3" && streaming)) {
      return { engine: clone, reason: `MySQL 8.0.17+ with clone plugin active, optimal for ${size} database` };
    }
    const cloudNote = opts.destination === "s3" && clone ? ` (streams straight to S3; clone would first need ${size} of local space)` : "";
    if (snapshot) {
      const fs = snapshotCapability(f) ?? f.datadirFilesystem ?? "the filesystem";
      return { engine: snapshot, reason: `datadir on ${fs} supports snapshots: writes blocked for milliseconds, optimal for ${size} database${cloudNote}` };
    }
    if (hot) {
      return { engine: hot, reason: `${flavorName(f)} ${f.version} with ${hot.name === "mariabackup" ? "mariadb-backup" : "xtrabackup"} installed: hot physical backup, optimal for ${size} database${cloudNote}` };
    }
    if (logical) {
      const why = whyNotPhysical(f);
      return { engine: logical, reason: `${why.length ? why.join("; ") : "no physical engine is available"}: logical backup works with every version (${size} database, expect a long run)` };
    }
    return available[0] ? { engine: available[0], reason: `the only available engine for this host` } : null;
  };
}

/** What "auto" uses when the caller says nothing about the destination. */
export const defaultEngineSelector: EngineSelector = createEngineSelector();
