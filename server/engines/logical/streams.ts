import type { Readable, Writable } from "node:stream";

/** Resolves when a writable can take more; rejects if it fails or closes first. */
export function waitDrain(w: Writable): Promise<void> {
  if (w.destroyed) return Promise.reject(w.errored ?? new Error("stream closed"));
  if (!w.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      w.off("drain", onDrain);
      w.off("error", onError);
      w.off("close", onClose);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (e: Error) => done(e);
    const onClose = () => done(w.errored ?? new Error("stream closed"));
    w.on("drain", onDrain);
    w.on("error", onError);
    w.on("close", onClose);
  });
}

/** Writes buffers, waiting for the stream to drain when it asks to. */
export async function writeAll(w: Writable, parts: Buffer[]) {
  let ok = true;
  for (const p of parts) ok = w.write(p);
  if (!ok) await waitDrain(w);
}

/**
 * The chunks of a readable, one by one, as they were pushed. `for await` on a stream calls read(),
 * which joins everything buffered into one new buffer (a copy of every byte, and a 1 MB allocation
 * each time, when a restore's object stream holds 16 chunks of 64 KB). Backpressure is kept: the
 * stream is paused while `maxQueued` chunks wait for the consumer.
 */
export async function* readChunks(r: Readable, maxQueued = 16): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let error: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onData = (c: Buffer) => {
    queue.push(c);
    if (queue.length >= maxQueued) r.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (e: unknown) => {
    error = e;
    notify();
  };
  const onClose = () => {
    if (!ended && !error) error = r.errored ?? new Error("stream closed before its end");
    notify();
  };
  r.on("data", onData);
  r.once("end", onEnd);
  r.once("error", onError);
  r.once("close", onClose);
  try {
    for (;;) {
      if (queue.length) {
        const c = queue.shift()!;
        if (r.isPaused() && queue.length < maxQueued / 2) r.resume();
        yield c;
        continue;
      }
      if (error) throw error;
      if (ended) return;
      await new Promise<void>((res) => (wake = res));
    }
  } finally {
    r.off("data", onData);
    r.off("end", onEnd);
    r.off("error", onError);
    r.off("close", onClose);
  }
}
