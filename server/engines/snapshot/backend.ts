import { DomainError } from "../../errors";
import type { CommandResult } from "./command-runner";
import type { SnapshotBackendName } from "./snapshot-options";

/**
 * One filesystem's snapshot, from creation to removal. The engine calls prepare() before locking,
 * create() while commits are blocked (it must be instant), open() after unlocking to get a
 * read-only path to the datadir inside the snapshot, verify() after reading it, and remove() in
 * every case (it undoes whatever the earlier steps did, and is safe to call twice).
 */
export interface SnapshotBackend {
  readonly name: SnapshotBackendName;
  /** what is snapshotted, in words: "Btrfs subvolume /data/mysql" */
  readonly source: string;
  prepare(): Promise<void>;
  create(): Promise<void>;
  open(): Promise<string>;
  /** Checks that what was read is trustworthy (e.g. an LVM snapshot that did not overflow). */
  verify(): Promise<void>;
  remove(): Promise<void>;
  /** The commands that remove what is left, for a person to run if remove() failed. */
  manualCleanup(): string[];
  /** Details for the manifest (device, dataset, snapshot name, ...). */
  describe(): Record<string, unknown>;
}

/** The failed command and its stderr, for errors. */
export function failure(what: string, cmdLine: string, r: CommandResult, advice: string): DomainError {
  const out = (r.stderr || r.stdout).trim().split("\n").slice(-4).join(" ").trim();
  return new DomainError("PRECONDITION", `${what} failed (${cmdLine}: ${out || `exit ${r.code}`}). ${advice}`.trim());
}

/** The path of `p` relative to `root`, or null when it is not inside it. */
export function relativeInside(root: string, p: string): string | null {
  const r = root.replace(/\/+$/, "") || "/";
  const q = p.replace(/\/+$/, "") || "/";
  if (q === r) return "";
  const prefix = r === "/" ? "/" : r + "/";
  return q.startsWith(prefix) ? q.slice(prefix.length) : null;
}
