import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DomainError } from "../../errors";

/**
 * Runs a restore tool (mbstream, mariadb-backup --prepare) to completion, optionally feeding it a
 * stream on stdin with backpressure. Cancellation kills it; a failure carries its last lines of
 * output, which is where these tools say what went wrong.
 */
export async function runTool(exe: string, args: string[], opts: { what: string; stdin?: Readable; signal?: AbortSignal; cwd?: string; onLine?: (line: string) => void }): Promise<void> {
  const child = spawn(exe, args, { stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"], cwd: opts.cwd });
  let tail = "";
  let partial = "";
  const onData = (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
    if (!opts.onLine) return;
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) if (l.trim()) opts.onLine(l);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const kill = () => child.kill("SIGKILL");
  opts.signal?.addEventListener("abort", kill, { once: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  try {
    let feedError: unknown = null;
    if (opts.stdin) {
      child.stdin!.on("error", () => undefined); // EPIPE when the tool dies: its exit status says why
      await pipeline(opts.stdin, child.stdin!).catch((e) => {
        feedError = e;
        kill();
      });
    }
    const { code, signal } = await exited;
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("cancelled");
    if (feedError) throw feedError;
    if (code !== 0) {
      const last = tail.trim().split("\n").slice(-6).join("\n");
      throw new DomainError("INVALID", `${opts.what} failed (${signal ?? `exit ${code}`}): ${last || "no output"}`);
    }
  } finally {
    opts.signal?.removeEventListener("abort", kill);
    if (child.exitCode === null && child.signalCode === null) kill();
  }
}
