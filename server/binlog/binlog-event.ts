import type { EventDetails } from "./decode-event";
import type { EventHeader } from "./event-header";

/** One event of a binlog file, as stored, with what was decoded from it. */
export type BinlogEvent = {
  /** binlog file name, when the reader was told it */
  file?: string;
  /** offset of the event's first byte in its binlog file */
  position: number;
  /** offset of the byte after it (the position to resume or stop at) */
  endPosition: number;
  header: EventHeader;
  typeName: string;
  /** the event exactly as stored, header and checksum included */
  raw: Buffer;
  details?: EventDetails;
  /** set when the body could not be decoded (the raw bytes passed their checksum) */
  decodeError?: string;
};
