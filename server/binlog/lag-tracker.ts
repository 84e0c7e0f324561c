import { compareCoordinates } from "./segment-naming";
import type { BinlogCoordinates } from "./server-status";

/** Receive times are kept in buckets this wide (bounds memory and the error of the measure). */
const MARK_MS = 20;

/**
 * How far the durable archive is behind the server, in seconds:
 * - 0 when the durable position has reached both what was received and the server's newest known
 *   position (SHOW MASTER STATUS, heartbeats);
 * - otherwise the larger of how long the oldest event not yet durable has been known (received, or
 *   seen to exist through the server's position), and, while catching up a backlog, the difference
 *   between the newest received event's timestamp and the newest durable one's (event timestamps
 *   have one-second resolution, so that part counts only whole seconds beyond the first).
 */
export class LagTracker {
  private server: (BinlogCoordinates & { at: number }) | null = null;
  private serverAheadSince: number | null = null;
  private received: BinlogCoordinates | null = null;
  private newestReceivedTs = 0;
  private durable: BinlogCoordinates | null = null;
  private durableEventTs = 0;
  /** receive times of events not yet durable: [end position of the bucket's first event, time] */
  private marks: { pos: BinlogCoordinates; at: number }[] = [];

  onServerPosition(p: BinlogCoordinates, atMs = Date.now()) {
    if (this.server && compareCoordinates(p, this.server) < 0) return;
    this.server = { ...p, at: atMs };
    if (!this.received || compareCoordinates(p, this.received) > 0) this.serverAheadSince ??= atMs;
  }

  onReceived(p: BinlogCoordinates, eventTs: number, atMs = Date.now()) {
    this.received = p;
    if (eventTs > this.newestReceivedTs) this.newestReceivedTs = eventTs;
    if (this.server && compareCoordinates(p, this.server) >= 0) this.serverAheadSince = null;
    const last = this.marks[this.marks.length - 1];
    if (!last || atMs - last.at >= MARK_MS) this.marks.push({ pos: p, at: atMs });
  }

  onDurable(p: BinlogCoordinates, newestEventTs: number | null) {
    this.durable = p;
    if (newestEventTs && newestEventTs > this.durableEventTs) this.durableEventTs = newestEventTs;
    while (this.marks.length && compareCoordinates(this.marks[0]!.pos, p) <= 0) this.marks.shift();
  }

  get serverPosition(): BinlogCoordinates | null {
    return this.server ? { file: this.server.file, position: this.server.position } : null;
  }

  lagSeconds(now = Date.now()): number | null {
    const d = this.durable;
    if (!d) return null;
    const serverAhead = !!this.server && compareCoordinates(this.server, d) > 0;
    const receivedAhead = !!this.received && compareCoordinates(this.received, d) > 0;
    if (!serverAhead && !receivedAhead) return 0;
    let since: number | null = receivedAhead ? (this.marks[0]?.at ?? now) : null;
    if (this.serverAheadSince !== null) since = since === null ? this.serverAheadSince : Math.min(since, this.serverAheadSince);
    const exposure = since === null ? 0 : Math.max(0, now - since) / 1000;
    const backlog = receivedAhead ? Math.max(0, this.newestReceivedTs - this.durableEventTs - 1) : 0;
    return Math.round(Math.max(exposure, backlog) * 10) / 10;
  }
}
