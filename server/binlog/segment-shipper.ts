import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { DomainError } from "../errors";
import { openObjectWriter } from "../artifact/object-io";
import { HashCounter } from "../artifact/hashing";
import { errorMessage } from "../errors";
import type { LogLevel } from "../work-context";
import type { ObjectStore } from "../storage/object-store";
import type { LocalSegment } from "./archive-state";
import type { SegmentMeta } from "./archiver-types";
import { buildSegmentMeta, serializeSegmentMeta } from "./segment-meta";
import { segmentKey, segmentMetaKey } from "./segment-naming";

export type ShipTarget = { store?: ObjectStore; prefix: string; compress: boolean };

/**
 * Stores one closed segment: the object (optionally zstd) with sha256 of the raw and stored bytes
 * computed while streaming, then its metadata JSON. A failure removes both, so the store never
 * holds half a segment. Without a store the segment stays in the working directory and only its
 * checksum is computed.
 */
export async function shipSegment(dir: string, seg: LocalSegment, flavor: "mariadb" | "mysql", t: ShipTarget): Promise<SegmentMeta> {
  const local = path.join(dir, seg.localName);
  const rawHash = new HashCounter();
  if (!t.store) {
    await pipeline(fs.createReadStream(local, { highWaterMark: 1 << 20 }), rawHash, async function* (src) {
      for await (const _ of src) void _;
    });
    return buildSegmentMeta(seg, flavor, { key: seg.localName, size: rawHash.bytes, sha256: rawHash.sha256, storedSize: rawHash.bytes, storedSha256: rawHash.sha256, compressed: false });
  }
  const store = t.store;
  const key = segmentKey(t.prefix, seg.file, seg.startPosition, t.compress);
  const metaKey = segmentMetaKey(t.prefix, seg.file, seg.startPosition);
  const w = openObjectWriter(store, key, { compression: t.compress ? "zstd" : "none", key: null });
  try {
    await pipeline(fs.createReadStream(local, { highWaterMark: 1 << 20 }), rawHash, w.input);
    const written = await w.done;
    const expected = seg.endPosition - seg.byteOffset;
    if (rawHash.bytes !== expected)
      throw new DomainError("INTERNAL", `The local binlog segment ${local} has ${rawHash.bytes} bytes, but its checkpoint says ${expected}: it changed after it was written (disk damage or another process). It was not shipped; the archiver will retry from the server.`, { retryable: true });
    const meta = buildSegmentMeta(seg, flavor, { key, size: rawHash.bytes, sha256: rawHash.sha256, storedSize: written.size, storedSha256: written.sha256, compressed: t.compress });
    await store.put(metaKey, serializeSegmentMeta(meta));
    return meta;
  } catch (e) {
    await w.abort(e).catch(() => undefined);
    await store.delete(key).catch(() => undefined);
    await store.delete(metaKey).catch(() => undefined);
    throw e;
  }
}

/**
 * Ships closed segments in order, one at a time, in the background: a store outage delays shipping
 * (with backoff) but never stops archiving. A segment leaves the pending list only after its object,
 * its metadata and onSegment all succeeded.
 */
export class SegmentShipper {
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private failures = 0;
  lastError: string | null = null;

  constructor(
    private readonly o: {
      dir: string;
      target: ShipTarget;
      flavor: () => "mariadb" | "mysql";
      pending: () => LocalSegment[];
      onShipped: (seg: LocalSegment, meta: SegmentMeta) => Promise<void>;
      log: (level: LogLevel, msg: string) => void;
    },
  ) {}

  /** Starts (or nudges) the background loop. */
  kick() {
    if (this.wake) this.wake();
    if (!this.running && !this.stopped) this.running = this.loop().finally(() => (this.running = null));
  }

  private async loop() {
    for (;;) {
      const seg = this.o.pending()[0];
      if (!seg || this.stopped) return;
      try {
        const meta = await shipSegment(this.o.dir, seg, this.o.flavor(), this.o.target);
        await this.o.onShipped(seg, meta);
        if (this.failures > 0) this.o.log("info", `Shipping binlog segments works again (${seg.localName} stored after ${this.failures} failed attempt(s)).`);
        this.failures = 0;
        this.lastError = null;
      } catch (e) {
        this.failures++;
        this.lastError = errorMessage(e);
        if (this.failures === 1 || this.failures % 10 === 0)
          this.o.log("warn", `Could not ship binlog segment ${seg.localName} to ${this.o.target.store?.describe() ?? "the archive"} (attempt ${this.failures}): ${this.lastError}. It stays in ${this.o.dir} and is retried; archiving continues.`);
        if (this.stopped) return;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(this.failures - 1, 6));
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          this.wake = () => {
            clearTimeout(t);
            r();
          };
        });
        this.wake = null;
      }
    }
  }

  /**
   * Ships everything pending now, with a few quick retries; returns the number of segments still
   * pending (a store that stays down leaves them for the next run).
   */
  async drain(attempts = 3): Promise<number> {
    // a store that failed just now is given one more try, not a long retry loop at shutdown
    if (this.failures > 0) attempts = 1;
    this.stopped = true;
    this.wake?.();
    await this.running;
    for (let i = 0; i < attempts && this.o.pending().length > 0; i++) {
      const seg = this.o.pending()[0]!;
      try {
        const meta = await shipSegment(this.o.dir, seg, this.o.flavor(), this.o.target);
        await this.o.onShipped(seg, meta);
        i = -1; // progress: reset the attempt budget for the next segment
      } catch (e) {
        this.lastError = errorMessage(e);
        await new Promise((r) => setTimeout(r, 300 * (i + 1)));
      }
    }
    return this.o.pending().length;
  }

  /** Stops the background loop without shipping more. */
  async stop() {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }
}
