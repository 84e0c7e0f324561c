// Everything the benchmark creates (servers, children, mounts, loop devices, temp dirs) registers
// how to undo it here; undo runs last-in first-out at the end, on failure and on Ctrl-C.
import { log } from "./log";

type Undo = { name: string; fn: () => Promise<void> | void };

const undos: Undo[] = [];
const controller = new AbortController();
let running: Promise<void> | null = null;

/** Aborted by the first Ctrl-C / SIGTERM: every wait and child of the benchmark stops on it. */
export const abortSignal = controller.signal;

export function throwIfAborted() {
  if (controller.signal.aborted) throw new BenchAborted();
}

export class BenchAborted extends Error {
  constructor() {
    super("interrupted");
  }
}

/** Registers an undo step; the returned function removes it (after undoing it yourself). */
export function onCleanup(name: string, fn: () => Promise<void> | void): () => void {
  const u = { name, fn };
  undos.push(u);
  return () => {
    const i = undos.indexOf(u);
    if (i >= 0) undos.splice(i, 1);
  };
}

/** Runs every registered undo step once, newest first; a failing step does not stop the others. */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (undos.length) {
      const u = undos.pop()!;
      try {
        await u.fn();
      } catch (e) {
        log(`cleanup: ${u.name} failed: ${(e as Error).message}`);
      }
    }
  })();
  return running;
}

/**
 * First signal: abort the work (children are stopped, the run unwinds and cleans up). Second:
 * clean up now and exit. A run that does not unwind within 90 s is cleaned up and ended.
 */
export function installSignalHandlers() {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      log(`${sig}: stopping; servers, mounts and temp files are being removed (Ctrl-C again to hurry)`);
      controller.abort();
      setTimeout(() => void cleanupAll().finally(() => process.exit(130)), 90_000).unref();
      return;
    }
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  process.on("SIGHUP", handler);
}
