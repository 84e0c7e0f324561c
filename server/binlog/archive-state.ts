import fsp from "node:fs/promises";
import path from "node:path";
import { DomainError } from "../errors";
import { explainFsError } from "../storage/local-store";
import type { SegmentEnd } from "./archiver-types";
import { writeFileDurably } from "./durable-file";
import type { GtidTrackerSnapshot } from "./gtid-tracker";

export const STATE_FILE = "archiver-state.json";

/** What the archiver knows about the events of one segment; saved with each checkpoint. */
export type SegmentStats = {
  firstEventTs: number | null;
  lastEventTs: number | null;
  gtidFirst: string | null;
  gtidLast: string | null;
  gtidStateEnd: string | null;
  serverIds: number[];
  eventCount: number;
};

/** A segment in the working directory: the open one, or a closed one waiting to be shipped. */
export type LocalSegment = {
  file: string;
  startPosition: number;
  endPosition: number;
  byteOffset: number;
  localName: string;
  stats: SegmentStats;
  endedBy?: SegmentEnd;
  fileComplete?: boolean;
};

export type PersistedState = {
  version: 1;
  flavor: "mariadb" | "mysql" | null;
  serverId: number;
  /** identifies this replica to MySQL (it kills an older dump with the same uuid) */
  replicaUuid: string;
  /** a fresh archive that starts from a GTID has no file position until its first event */
  startGtid: string | null;
  /** where the next event goes when no segment is open */
  next: { file: string; position: number } | null;
  /** the open segment as of the last checkpoint (its file is truncated back to endPosition on restart) */
  current: LocalSegment | null;
  gtid: GtidTrackerSnapshot;
  lastEventTs: number | null;
  pending: LocalSegment[];
  savedAt: string;
};

export async function readState(dir: string): Promise<PersistedState | null> {
  const p = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = await fsp.readFile(p, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw explainFsError(e, p);
  }
  try {
    const s = JSON.parse(text) as PersistedState;
    if (s.version !== 1) throw new Error(`unknown version ${String(s.version)}`);
    return s;
  } catch (e) {
    throw new DomainError("INVALID", `The archiver state file ${p} cannot be read (${(e as Error).message}). It is written atomically, so this is damage from outside: restore it, or move the directory away to start a new archive (the archive then has a gap).`);
  }
}

/** Saves the state; callers serialize calls (the archiver keeps one save in flight at a time). */
export async function writeState(dir: string, s: PersistedState): Promise<void> {
  const p = path.join(dir, STATE_FILE);
  try {
    await writeFileDurably(p, JSON.stringify(s, null, 1));
  } catch (e) {
    throw explainFsError(e, p);
  }
}
