// Binlog replay: the second half of a point-in-time restore (after the base backup), and what the
// CLI and the benchmark call.
export { replayBinlogs } from "./replay-binlogs";
export type { ReplayOptions, ReplayResult, ReplaySource } from "./types";
export { localFileSources, archivedFileSources, archiveSourcesFrom, checkArchiveReaches, directorySources, liveFileSource } from "./sources";
