import type { Readable } from "node:stream";
import { DomainError } from "../errors";
import type { BinlogEvent } from "./binlog-event";
import { verifyEventChecksum, type ChecksumAlg } from "./checksum";
import { decodeEventDetails, type DecodeContext } from "./decode-event";
import { parseEventHeader } from "./event-header";
import { BINLOG_MAGIC, EventType, HEADER_LENGTH, eventTypeName } from "./event-types";
import { ByteQueue } from "./byte-queue";

export type ReadEventsOptions = {
  /** verify each event's CRC32 when the file is checksummed (default true) */
  verifyChecksum?: boolean;
  /** named in events and in error messages */
  fileName?: string;
  /**
   * For a stream that starts in the middle of a file (a segment that does not start at 4): the
   * checksum algorithm of that file's FORMAT_DESCRIPTION. Detected from the first event when omitted.
   */
  checksum?: ChecksumAlg;
};

/** Largest event a server can write (max_allowed_packet is at most 1 GiB). */
const MAX_EVENT_SIZE = 1024 * 1024 * 1024 + 1024;

function corrupt(file: string | undefined, position: number, what: string): DomainError {
  return new DomainError("INVALID", `${file ?? "binlog stream"} at position ${position}: ${what}. The binlog is corrupted from this event on; restore it from another copy (the server's own file, or the archive) or stop point-in-time recovery before this position.`);
}

/**
 * Iterates the events of a binlog file or stream. Memory holds one event at a time (plus one read
 * chunk). A stream that starts with the magic header is a whole file; one that does not is a segment
 * starting mid-file, whose positions are taken from the event headers.
 */
export async function* readEvents(input: Readable | AsyncIterable<Buffer>, opts: ReadEventsOptions = {}): AsyncGenerator<BinlogEvent> {
  const verify = opts.verifyChecksum ?? true;
  const file = opts.fileName;
  const q = new ByteQueue();
  const ctx: DecodeContext = { fde: null, checksum: opts.checksum ?? "none" };
  let checksumKnown = opts.checksum !== undefined;
  let position = -1; // unknown until the magic or the first header says
  let ended = false;
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const fill = async (n: number): Promise<boolean> => {
    while (q.length < n && !ended) {
      const r = await it.next();
      if (r.done) ended = true;
      else q.push(typeof r.value === "string" ? Buffer.from(r.value) : (r.value as Buffer));
    }
    return q.length >= n;
  };

  try {
    if (!(await fill(4))) {
      if (q.length === 0) return;
      throw corrupt(file, 0, `the stream ends after ${q.length} bytes, before the first event`);
    }
    if (q.peek(4).equals(BINLOG_MAGIC)) {
      q.take(4);
      position = 4;
    }
    for (;;) {
      if (!(await fill(HEADER_LENGTH))) {
        if (q.length === 0) return;
        throw corrupt(file, position, `the file ends in the middle of an event header (${q.length} of ${HEADER_LENGTH} bytes): it was cut short`);
      }
      const h = parseEventHeader(q.peek(HEADER_LENGTH));
      if (position < 0) position = h.logPos >= h.eventSize ? h.logPos - h.eventSize : 0;
      if (h.eventSize < HEADER_LENGTH || h.eventSize > MAX_EVENT_SIZE) throw corrupt(file, position, `event header says the event is ${h.eventSize} bytes long, which is impossible`);
      if (h.logPos !== 0 && h.logPos !== ((position + h.eventSize) >>> 0)) throw corrupt(file, position, `event header says the event ends at ${h.logPos}, but it starts at ${position} and is ${h.eventSize} bytes long`);
      if (!(await fill(h.eventSize))) throw corrupt(file, position, `the file ends in the middle of a ${eventTypeName(h.type)} event (${q.length} of ${h.eventSize} bytes): it was cut short`);
      const raw = q.take(h.eventSize);
      if (h.type === EventType.FORMAT_DESCRIPTION) {
        try {
          const fde = decodeEventDetails(raw, h, ctx);
          if (fde?.kind === "format_description") {
            ctx.fde = fde;
            ctx.checksum = fde.checksum;
            checksumKnown = true;
          }
        } catch (e) {
          throw corrupt(file, position, `the FORMAT_DESCRIPTION event cannot be decoded (${(e as Error).message})`);
        }
      } else if (!checksumKnown) {
        ctx.checksum = raw.length >= HEADER_LENGTH + 4 && verifyEventChecksum(raw).ok ? "crc32" : "none";
        checksumKnown = true;
      }
      if (verify && ctx.checksum === "crc32") {
        const c = verifyEventChecksum(raw);
        if (!c.ok) throw corrupt(file, position, `${eventTypeName(h.type)} event fails its CRC32 checksum (stored ${c.stored.toString(16).padStart(8, "0")}, computed ${c.computed.toString(16).padStart(8, "0")})`);
      }
      const ev: BinlogEvent = { file, position, endPosition: position + h.eventSize, header: h, typeName: eventTypeName(h.type), raw };
      try {
        ev.details = h.type === EventType.FORMAT_DESCRIPTION ? ctx.fde ? { kind: "format_description", ...ctx.fde } : undefined : decodeEventDetails(raw, h, ctx);
      } catch (e) {
        ev.decodeError = (e as Error).message;
      }
      position += h.eventSize;
      yield ev;
    }
  } finally {
    await it.return?.();
  }
}
