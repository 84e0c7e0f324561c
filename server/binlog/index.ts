// The binlog archive: a replica that stores the server's binlogs byte for byte, and the event
// library that planning and replay read them with.
export { runArchiver } from "./archiver";
export type { ArchiverOptions, ArchiverStatus, ArchiveStart, Checkpoint, SegmentMeta, SegmentEnd } from "./archiver-types";
export { readEvents, type ReadEventsOptions } from "./read-events";
export type { BinlogEvent } from "./binlog-event";
export type { EventDetails } from "./decode-event";
export type { EventHeader } from "./event-header";
export { groupTransactions, type BinlogTransaction } from "./group-transactions";
export { EventType, EventFlag, RowsFlag, MariaGtidFlag, eventTypeName, BINLOG_MAGIC } from "./event-types";
export { listArchivedSegments, openArchivedFile } from "./archive-reader";
export { segmentKey, segmentMetaKey, segmentBaseName, compareBinlogFiles, compareCoordinates } from "./segment-naming";
export * from "./gtid-mariadb";
export * from "./gtid-mysql";
export { DEFAULT_SERVER_ID } from "./replication-errors";
