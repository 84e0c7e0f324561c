import { performance } from "node:perf_hooks";
import type { Coordinates } from "../snapshot/binlog-coordinates";

/**
 * Follows mariadb-backup / xtrabackup's log (stderr) line by line and notes, at the moment each
 * line arrives, when commits were blocked and released. The tools print second-resolution
 * timestamps; arrival times give milliseconds (an upper bound: the tool logs just before it locks
 * and just after it unlocks).
 */
export class ToolLog {
  private partial = "";
  private readonly tail: string[] = [];
  ddlAt: number | null = null;
  commitAt: number | null = null;
  unlockedAt: number | null = null;
  method: "backup-stage" | "ftwrl" | null = null;
  coordinates: Coordinates | null = null;
  lastFile: string | null = null;
  errors: string[] = [];

  constructor(
    private readonly onLine?: (line: string) => void,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  push(chunk: Buffer | string) {
    const now = this.clock();
    const lines = (this.partial + chunk.toString()).split("\n");
    this.partial = lines.pop() ?? "";
    for (const l of lines) this.line(l, now);
  }

  end() {
    if (this.partial) this.line(this.partial, this.clock());
    this.partial = "";
  }

  private line(raw: string, now: number) {
    const line = raw.replace(/\s+$/, "");
    if (!line) return;
    this.tail.push(line);
    if (this.tail.length > 30) this.tail.shift();
    if (/Start(?:ing|ed) BACKUP STAGE BLOCK_DDL/.test(line)) this.ddlAt ??= now;
    if (/Starting BACKUP STAGE BLOCK_COMMIT/.test(line)) {
      this.commitAt ??= now;
      this.method = "backup-stage";
    }
    if (/Executing FLUSH TABLES WITH READ LOCK/.test(line)) {
      this.commitAt ??= now;
      this.method ??= "ftwrl";
    }
    if (/All tables unlocked|Executing UNLOCK TABLES|Executing BACKUP STAGE END/.test(line) && this.commitAt !== null) {
      // "Executing ... END/UNLOCK" comes first and "All tables unlocked" right after: keep the later
      this.unlockedAt = now;
    }
    const file = /Streaming (\.\/\S+)|Copying (\.\/\S+)/.exec(line);
    if (file) this.lastFile = file[1] ?? file[2] ?? null;
    const pos = /binlog position: filename '([^']+)', position '(\d+)'(?:, GTID of the last change '([^']*)')?/.exec(line);
    if (pos) this.coordinates = { file: pos[1]!, position: Number(pos[2]), gtid: pos[3]?.replace(/\s+/g, "") || null };
    if (/\b(Error|error|ERROR|FATAL)\b|failed/.test(line) && !/ignore/i.test(line)) this.errors.push(line);
    this.onLine?.(line);
  }

  get lockMs(): number | null {
    if (this.commitAt === null || this.unlockedAt === null) return null;
    return Math.round((this.unlockedAt - this.commitAt) * 100) / 100;
  }

  get ddlBlockedMs(): number | null {
    if (this.ddlAt === null || this.unlockedAt === null) return null;
    return Math.round((this.unlockedAt - this.ddlAt) * 100) / 100;
  }

  lastLines(n = 8): string {
    return this.tail.slice(-n).join("\n");
  }
}

/** Parses the key = value file the tools write (xtrabackup_info, xtrabackup_checkpoints). */
export function parseInfoFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of text.split("\n")) {
    const m = /^\s*([\w-]+)\s*=\s*(.*?)\s*$/.exec(l);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Coordinates from xtrabackup_info's binlog_pos line; null when the server had no binlog. */
export function coordinatesFromInfo(info: Record<string, string>): Coordinates | null {
  const m = /filename '([^']+)', position '(\d+)'(?:, GTID of the last change '([^']*)')?/.exec(info.binlog_pos ?? "");
  if (!m) return null;
  return { file: m[1]!, position: Number(m[2]), gtid: m[3]?.replace(/\s+/g, "") || null };
}
