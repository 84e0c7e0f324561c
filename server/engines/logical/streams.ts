import type { Writable } from "node:stream";

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
