import fsp from "node:fs/promises";
import path from "node:path";
import { DomainError, errorMessage } from "../errors";
import type { LogLevel } from "../work-context";
import { writeState, type LocalSegment, type PersistedState } from "./archive-state";
import type { Checkpoint, SegmentEnd } from "./archiver-types";
import { verifyEventChecksum, type ChecksumAlg } from "./checksum";
import { decodeEventDetails, type EventDetails } from "./decode-event";
import type { FormatDescription } from "./decode-format-description";
import { parseEventHeader, type EventHeader } from "./event-header";
import { EventFlag, EventType, eventTypeName } from "./event-types";
import { GtidTracker } from "./gtid-tracker";
import type { LagTracker } from "./lag-tracker";
import type { DumpFrom } from "./replica-session";
import { SegmentFile } from "./segment-file";

export type ArchiveWriterOptions = {
  dir: string;
  rotateSize?: number;
  checkpointIntervalMs: number;
  lag: LagTracker;
  log: (level: LogLevel, msg: string) => void;
  onCheckpoint?: (c: Checkpoint) => Promise<void>;
  /** a segment was closed and added to state.pending */
  onSegmentClosed: () => void;
};

function copySegment(s: LocalSegment): LocalSegment {
  return { ...s, stats: { ...s.stats, serverIds: [...s.stats.serverIds] } };
}

/**
 * Turns the event stream of a dump into segment files and durable checkpoints. Events are written
 * exactly as received, except the ones a replica must not write: the rotate the dump thread makes
 * up, heartbeats, and the FORMAT_DESCRIPTION re-sent when a dump starts mid-file.
 */
export class ArchiveWriter {
  seg: SegmentFile | null;
  gtid: GtidTracker;
  events = 0;
  bytes = 0;
  private fde: FormatDescription | null = null;
  private checksum: ChecksumAlg = "none";
  private lastSyncAt = Date.now();
  private lastReportedAt = 0;
  private unreported = false;
  /** The checkpoint as of the last sync: the one that is durable (events after it may be in memory only). */
  private durable: Checkpoint | null = null;
  /** syncs under way: a trailing report waits for them (they report once their state is saved) */
  private syncing = 0;
  /** where the dump is (from the rotates it sends), before any event of that file is written */
  private streamAt: { file: string; position: number } | null = null;
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();
  private lastEventTs: number | null;

  constructor(
    readonly state: PersistedState,
    seg: SegmentFile | null,
    private readonly o: ArchiveWriterOptions,
  ) {
    this.seg = seg;
    this.gtid = GtidTracker.restore(state.gtid);
    this.lastEventTs = state.lastEventTs;
  }

  /** Where the next dump starts: right after the last event written. */
  resumePoint(): DumpFrom {
    if (this.seg) return { file: this.seg.seg.file, position: this.seg.seg.endPosition };
    if (this.state.next) return { ...this.state.next };
    if (this.state.startGtid) return { gtid: this.state.startGtid };
    throw new DomainError("INTERNAL", "the archiver has no position to resume from");
  }

  /** The durable checkpoint (as of the last save). */
  checkpoint(): Checkpoint | null {
    const s = this.state;
    const at = s.current ? { file: s.current.file, position: s.current.endPosition } : s.next;
    if (!at) return null;
    return { file: at.file, position: at.position, gtid: s.gtid.state, lastEventAt: s.lastEventTs ? new Date(s.lastEventTs * 1000) : null, savedAt: new Date(s.savedAt) };
  }

  /** A new dump starts: until its FORMAT_DESCRIPTION arrives, events carry the server's global checksum. */
  startSession(checksum: ChecksumAlg) {
    this.fde = null;
    this.streamAt = null;
    this.checksum = checksum;
  }

  /** Handles one event payload from the dump. Throws a retryable DomainError when it arrived damaged. */
  async process(raw: Buffer): Promise<void> {
    const h = parseEventHeader(raw);
    if (h.eventSize !== raw.length) throw new DomainError("UNAVAILABLE", `received a ${eventTypeName(h.type)} event of ${raw.length} bytes whose header says ${h.eventSize}: damaged in transit`, { retryable: true });
    if (h.type === EventType.FORMAT_DESCRIPTION) {
      const d = decodeEventDetails(raw, h, { fde: null, checksum: "none" });
      if (d?.kind === "format_description") {
        this.fde = d;
        this.checksum = d.checksum;
        this.state.flavor ??= d.flavor;
      }
    }
    if (this.checksum === "crc32") {
      const c = verifyEventChecksum(raw);
      if (!c.ok) throw new DomainError("UNAVAILABLE", `${eventTypeName(h.type)} event ending at ${h.logPos} failed its CRC32 check on arrival (damaged in transit); reconnecting to fetch it again`, { retryable: true });
    }
    let d: EventDetails | undefined;
    try {
      d = decodeEventDetails(raw, h, { fde: this.fde, checksum: this.checksum });
    } catch (e) {
      this.o.log("warn", `Could not decode a ${eventTypeName(h.type)} event ending at ${h.logPos} (${errorMessage(e)}); it is archived as received.`);
    }
    if (h.type === EventType.HEARTBEAT) {
      if (d?.kind === "heartbeat" && d.file) this.o.lag.onServerPosition({ file: d.file, position: h.logPos });
      return;
    }
    if (h.type === EventType.HEARTBEAT_V2) return;
    if (h.type === EventType.ROTATE && (h.flags & EventFlag.ARTIFICIAL || h.logPos === 0 || h.timestamp === 0)) {
      if (d?.kind === "rotate") await this.onDumpRotate(d.nextFile, d.position);
      return;
    }
    // log_pos 0 marks what the dump thread sends but the file does not hold at that place (the
    // FORMAT_DESCRIPTION re-sent when a dump starts mid-file)
    if (h.logPos === 0) return;
    await this.write(raw, h, d);
  }

  /** The rotate the dump thread makes up when a dump starts and when it moves to the next file. */
  private async onDumpRotate(file: string, position: number) {
    const seg = this.seg?.seg;
    if (seg) {
      if (seg.file === file && seg.endPosition === position) return;
      if (seg.file !== file) {
        this.o.log("warn", `The server continued in ${file} without closing ${seg.file} (it stopped abruptly); ${seg.file} is archived up to ${seg.endPosition}.`);
        await this.closeSegment("file-change", false, { file, position });
        return;
      }
      await this.closeSegment("gap", false, { file, position });
      return;
    }
    this.streamAt = { file, position };
    // a GTID start keeps its GTID as the resume point until an event is written: resuming from the
    // file start instead would archive the transactions the GTID excludes
    if (this.state.startGtid && !this.state.next && !this.state.current) return;
    const n = this.state.next;
    if (!n || n.file !== file || n.position !== position) {
      this.state.next = { file, position };
      this.dirty = true;
    }
  }

  private async write(raw: Buffer, h: EventHeader, d: EventDetails | undefined) {
    const start = h.logPos - h.eventSize;
    if (this.seg && start !== this.seg.seg.endPosition) {
      const s = this.seg.seg;
      this.o.log("warn", `The server skipped ${s.file} ${s.endPosition}..${start} (events a GTID start does not need); the segment ends at ${s.endPosition} and a new one starts at ${start}.`);
      await this.closeSegment("gap", false, { file: s.file, position: start });
    }
    if (!this.seg) {
      const file = this.streamAt?.file ?? this.state.next?.file;
      if (!file) throw new DomainError("INTERNAL", `received a ${eventTypeName(h.type)} event before the server named its binlog file`);
      this.seg = await SegmentFile.create(this.o.dir, file, start);
    }
    const seg = this.seg;
    await seg.append(raw, h);
    const st = seg.seg.stats;
    st.eventCount++;
    if (h.timestamp) {
      st.firstEventTs ??= h.timestamp;
      st.lastEventTs = h.timestamp;
      this.lastEventTs = h.timestamp;
    }
    if (!st.serverIds.includes(h.serverId)) st.serverIds.push(h.serverId);
    const g = this.gtid.onEvent(h, d);
    if (g.began) st.gtidFirst ??= g.began;
    if (g.committed) st.gtidLast = g.committed;
    st.gtidStateEnd = this.gtid.state();
    this.events++;
    this.bytes += raw.length;
    this.dirty = true;
    this.o.lag.onReceived({ file: seg.seg.file, position: h.logPos }, h.timestamp);

    if (h.type === EventType.ROTATE && d?.kind === "rotate") {
      await this.closeSegment("rotate", true, { file: d.nextFile, position: d.position });
    } else if (h.type === EventType.STOP) {
      await this.closeSegment("stop-event", true, { file: seg.seg.file, position: h.logPos });
    } else if (this.o.rotateSize && seg.size >= this.o.rotateSize) {
      await this.closeSegment("size", false, { file: seg.seg.file, position: h.logPos });
    } else if (Date.now() - this.lastSyncAt >= this.o.checkpointIntervalMs) {
      await this.sync();
    }
  }

  /** Closes the open segment (fsynced, queued for shipping) and checkpoints at `next`. */
  async closeSegment(endedBy: SegmentEnd, fileComplete: boolean, next: { file: string; position: number }) {
    const sf = this.seg;
    this.seg = null;
    this.state.next = next;
    this.streamAt = next;
    this.dirty = true;
    if (sf) {
      if (sf.seg.stats.eventCount === 0) {
        await sf.abandon();
        await fsp.rm(sf.path, { force: true });
      } else {
        if (fileComplete) await sf.markClosedByServer();
        await sf.close();
        this.state.pending.push({ ...copySegment(sf.seg), endedBy, fileComplete });
      }
    }
    await this.sync(true);
    if (sf && sf.seg.stats.eventCount > 0) this.o.onSegmentClosed();
  }

  /**
   * fsync what was written, then persist the checkpoint (data first, so a checkpoint never points
   * past durable bytes). onCheckpoint hears about it at most once a second unless `report` forces it
   * (segment closed, stop), so a catalog is not written several times a second under load.
   */
  async sync(report = false): Promise<void> {
    this.lastSyncAt = Date.now();
    if (!this.dirty) {
      if (report && this.unreported) await this.report();
      return;
    }
    this.dirty = false;
    this.syncing++;
    try {
      await this.syncDirty(report);
    } finally {
      this.syncing--;
    }
  }

  private async syncDirty(report: boolean): Promise<void> {
    if (this.seg) await this.seg.sync();
    this.state.current = this.seg ? copySegment(this.seg.seg) : null;
    this.state.gtid = this.gtid.snapshot();
    this.state.lastEventTs = this.lastEventTs;
    if (this.state.current || this.state.next) this.state.startGtid = null;
    await this.save();
    const cp = this.checkpoint();
    this.durable = cp;
    if (cp) this.o.lag.onDurable({ file: cp.file, position: cp.position }, this.lastEventTs);
    this.unreported = true;
    if (report || Date.now() - this.lastReportedAt >= 1000) await this.report();
    // a checkpoint not reported now is reported within the second, even if no event follows
    // (otherwise the catalog's position stays behind the durable one while the server is idle)
    else this.scheduleTrailingReport();
  }

  private trailingReport: NodeJS.Timeout | null = null;

  private scheduleTrailingReport() {
    if (this.trailingReport) return;
    this.trailingReport = setTimeout(() => {
      this.trailingReport = null;
      // a sync under way reports (or schedules) itself once its state is saved
      if (this.unreported && !this.syncing) void this.report();
    }, Math.max(0, 1000 - (Date.now() - this.lastReportedAt)));
    this.trailingReport.unref?.();
  }

  private reporting: Promise<void> = Promise.resolve();

  /** Reports the durable checkpoint; reports run one after another, so the catalog never goes back. */
  private report(): Promise<void> {
    if (this.trailingReport) {
      clearTimeout(this.trailingReport);
      this.trailingReport = null;
    }
    // the durable checkpoint, not the current one: a trailing report can run while events after
    // the last sync are written but not yet fsynced or in the state file
    const cp = this.durable;
    this.unreported = false;
    this.lastReportedAt = Date.now();
    const onCheckpoint = this.o.onCheckpoint;
    if (!cp || !onCheckpoint) return this.reporting;
    this.reporting = this.reporting.then(async () => {
      try {
        await onCheckpoint(cp);
      } catch (e) {
        this.o.log("warn", `Recording the binlog checkpoint ${cp.file}:${cp.position} failed: ${errorMessage(e)} (the archive's own state file has it).`);
      }
    });
    return this.reporting;
  }

  /** Writes the state file; saves are serialized and each writes the state as it is when it runs. */
  save(): Promise<void> {
    const run = this.saving.then(async () => {
      this.state.savedAt = new Date().toISOString();
      await writeState(this.o.dir, this.state);
    });
    this.saving = run.catch(() => undefined);
    return run;
  }

  /** Clean stop: the open segment is closed as a partial one (shipped now, continued later as a new segment). */
  async closeForShutdown(): Promise<void> {
    if (this.seg) {
      const s = this.seg.seg;
      await this.closeSegment("shutdown", false, { file: s.file, position: s.endPosition });
    } else await this.sync(true);
  }

  /** After a failure: keep the open segment as it is on disk; the next run continues it from the checkpoint. */
  async abandon(): Promise<void> {
    try {
      await this.sync();
    } finally {
      if (this.trailingReport) clearTimeout(this.trailingReport);
      this.trailingReport = null;
      await this.seg?.abandon();
      this.seg = null;
    }
  }

  localPath(seg: LocalSegment) {
    return path.join(this.o.dir, seg.localName);
  }
}
