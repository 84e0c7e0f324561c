import fsp from "node:fs/promises";
import path from "node:path";
import { DomainError } from "../errors";
import { explainFsError } from "../storage/local-store";
import type { LocalSegment, SegmentStats } from "./archive-state";
import type { EventHeader } from "./event-header";
import { BINLOG_MAGIC, EventFlag, EventType, FLAGS_OFFSET } from "./event-types";
import { segmentBaseName } from "./segment-naming";

const WRITE_BATCH = 1 << 20;

export function emptyStats(): SegmentStats {
  return { firstEventTs: null, lastEventTs: null, gtidFirst: null, gtidLast: null, gtidStateEnd: null, serverIds: [], eventCount: 0 };
}

/**
 * The open segment in the working directory. Events are appended exactly as received (writes are
 * batched); `sync()` makes everything appended so far durable.
 */
export class SegmentFile {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private written: number;
  private constructor(
    private fh: fsp.FileHandle,
    readonly path: string,
    readonly seg: LocalSegment,
  ) {
    this.written = seg.endPosition - seg.byteOffset;
  }

  /** Starts a segment whose first event is at `startPosition` (a file's start gets the magic header first). */
  static async create(dir: string, file: string, startPosition: number): Promise<SegmentFile> {
    const localName = segmentBaseName(file, startPosition);
    const p = path.join(dir, localName);
    const byteOffset = startPosition === 4 ? 0 : startPosition;
    try {
      const fh = await fsp.open(p, "w", 0o640);
      const seg: LocalSegment = { file, startPosition, endPosition: startPosition, byteOffset, localName, stats: emptyStats() };
      const sf = new SegmentFile(fh, p, seg);
      if (byteOffset === 0) {
        sf.written = 0;
        sf.push(BINLOG_MAGIC);
      }
      return sf;
    } catch (e) {
      throw explainFsError(e, p);
    }
  }

  /** Reopens the segment of the last checkpoint, cutting off whatever was written after it (a crash's torn tail). */
  static async reopen(dir: string, seg: LocalSegment, log?: (msg: string) => void): Promise<SegmentFile> {
    const p = path.join(dir, seg.localName);
    const want = seg.endPosition - seg.byteOffset;
    let size: number;
    try {
      size = (await fsp.stat(p)).size;
    } catch (e) {
      throw new DomainError("INVALID", `The archive's open segment ${p} is missing, but the checkpoint says ${want} bytes of it were fsynced. Something outside the archiver removed it: the archive has a gap in ${seg.file} from ${seg.startPosition}. Move ${dir} away to start a new archive.`, { cause: e });
    }
    if (size < want) throw new DomainError("INVALID", `The archive's open segment ${p} has ${size} bytes but the checkpoint says ${want} were fsynced: the file was damaged outside the archiver (or the disk lost acknowledged writes). Move ${dir} away to start a new archive; the archive has a gap in ${seg.file}.`);
    try {
      const fh = await fsp.open(p, "r+");
      if (size > want) {
        log?.(`Cut ${size - want} byte(s) written after the last checkpoint from ${p} (left by an unclean stop); they are fetched from the server again.`);
        await fh.truncate(want);
        await fh.sync();
      }
      return new SegmentFile(fh, p, { ...seg, stats: { ...seg.stats, serverIds: [...seg.stats.serverIds] } });
    } catch (e) {
      throw explainFsError(e, p);
    }
  }

  /** Bytes in the segment so far (written or buffered). */
  get size(): number {
    return this.written + this.bufferedBytes;
  }

  private push(b: Buffer) {
    this.buffered.push(b);
    this.bufferedBytes += b.length;
  }

  /**
   * Appends one event. A file's FORMAT_DESCRIPTION is stored with the "in use" flag set, as in the
   * server's own file while the server writes it (the dump thread sends it cleared).
   */
  async append(raw: Buffer, h: EventHeader): Promise<void> {
    let b = raw;
    if (h.type === EventType.FORMAT_DESCRIPTION && this.seg.byteOffset === 0 && this.size === 4) {
      b = Buffer.from(raw);
      b[FLAGS_OFFSET] = b[FLAGS_OFFSET]! | EventFlag.BINLOG_IN_USE;
    }
    this.push(b);
    this.seg.endPosition = h.logPos;
    if (this.bufferedBytes >= WRITE_BATCH) await this.writeBuffered();
  }

  private async writeBuffered() {
    if (this.bufferedBytes === 0) return;
    const bufs = this.buffered;
    const n = this.bufferedBytes;
    this.buffered = [];
    this.bufferedBytes = 0;
    try {
      let done = 0;
      while (done < n) {
        const { bytesWritten } = await this.fh.writev(sliceFrom(bufs, done), this.written + done);
        done += bytesWritten;
      }
      this.written += n;
    } catch (e) {
      throw explainFsError(e, this.path);
    }
  }

  async sync(): Promise<void> {
    await this.writeBuffered();
    try {
      await this.fh.sync();
    } catch (e) {
      throw explainFsError(e, this.path);
    }
  }

  /** What the server does when it closes a file: clear the FORMAT_DESCRIPTION's flags byte in place. */
  async markClosedByServer(): Promise<void> {
    if (this.seg.byteOffset !== 0) return;
    await this.writeBuffered();
    try {
      await this.fh.write(Buffer.from([0]), 0, 1, 4 + FLAGS_OFFSET);
    } catch (e) {
      throw explainFsError(e, this.path);
    }
  }

  async close(): Promise<void> {
    await this.sync();
    await this.fh.close();
  }

  /** Closes without flushing (the process is giving up on this segment; the checkpoint decides what survives). */
  async abandon(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

function sliceFrom(bufs: Buffer[], skip: number): Buffer[] {
  if (skip === 0) return bufs;
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
