import { DomainError } from "../../errors";
import { commandLine, type CommandRunner } from "./command-runner";

/** The filesystem a path lives on, as findmnt reports it. */
export type MountInfo = { source: string; fstype: string; target: string; options: string };

/**
 * `findmnt --target <path>`: the mount holding the path (device or dataset, filesystem type, mount
 * point). Pairs are requested (-P) so empty fields and spaces in paths parse unambiguously.
 */
export async function findMount(runner: CommandRunner, path: string): Promise<MountInfo> {
  const args = ["-n", "-P", "-o", "SOURCE,FSTYPE,TARGET,OPTIONS", "--target", path];
  const r = await runner.run("findmnt", args);
  if (r.code !== 0) {
    throw new DomainError("PRECONDITION", `Cannot tell which filesystem holds ${path} (${commandLine("findmnt", args)}: ${r.stderr.trim() || `exit ${r.code}`}). Check the datadir path, or choose the backend explicitly (snapshotBackend).`);
  }
  const line = r.stdout.split("\n").find((l) => l.trim()) ?? "";
  const field = (k: string) => new RegExp(`${k}="((?:[^"\\\\]|\\\\.)*)"`).exec(line)?.[1]?.replace(/\\x([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))) ?? "";
  const info = { source: field("SOURCE"), fstype: field("FSTYPE"), target: field("TARGET"), options: field("OPTIONS") };
  if (!info.fstype || !info.target) throw new DomainError("PRECONDITION", `findmnt gave no mount for ${path}: ${JSON.stringify(r.stdout.trim())}`);
  // a Btrfs subvolume mount shows as /dev/loop0[/mysql]: keep the device only
  info.source = info.source.replace(/\[.*\]$/, "");
  return info;
}
