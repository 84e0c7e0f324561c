import fs from "node:fs";

/** Undoes the octal escapes of /proc/self/mountinfo (a space is written \040). */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The filesystem type of the mount that contains `absPath`, from the text of /proc/self/mountinfo
 * (the longest mount point that is a prefix of the path; the last one listed wins when a mount
 * point is mounted over). Null when no line matches.
 *
 * statfs cannot tell ext2, ext3 and ext4 apart (they share the magic 0xEF53, which `stat -f`
 * prints as "ext2/ext3"); the mount table names the driver that mounted it.
 */
export function fstypeFromMountinfo(mountinfo: string, absPath: string): string | null {
  let best: { point: string; type: string } | null = null;
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    const point = left[4] ? unescapeMountField(left[4]) : null;
    const type = right[0];
    if (!point || !type) continue;
    const inside = point === "/" || absPath === point || absPath.startsWith(point.endsWith("/") ? point : point + "/");
    if (inside && (!best || point.length >= best.point.length)) best = { point, type };
  }
  return best?.type ?? null;
}

/**
 * Refines what `stat -f -c %T` reported: "ext2/ext3" (the shared statfs magic) becomes the type the
 * mount table names (ext2, ext3 or ext4). Other names are kept as statfs gave them.
 */
export function refineFilesystemType(statType: string | null, absPath: string, mountinfo: string | null = readMountinfo()): string | null {
  if (statType !== "ext2/ext3" || !mountinfo) return statType;
  let real = absPath;
  try {
    real = fs.realpathSync(absPath);
  } catch {
    // keep the path as given
  }
  const t = fstypeFromMountinfo(mountinfo, real);
  return t && /^ext[234]$/.test(t) ? t : statType;
}

function readMountinfo(): string | null {
  try {
    return fs.readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return null;
  }
}
