import { EventEmitter } from "node:events";
import type { Run } from "../db/generated/client";

/**
 * Emitted when a run reaches a final state (succeeded, failed, cancelled) in this process.
 * Notifications and post-backup pruning listen here.
 */
export const runEvents = new EventEmitter<{ finished: [Run] }>();
