// Child processes of the benchmark: timed, memory-sampled, stopped on Ctrl-C, never left running.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { abortSignal, BenchAborted, onCleanup } from "./cleanup";
import { RssMonitor, type RssReport } from "./rss";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const DBBACKUP = path.join(ROOT, "bin", "dbbackup");

export type ProcResult = {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
  rss: RssReport;
  /** user + system CPU seconds of the process and every descendant it waited for (see childCpuSeconds) */
  cpuSeconds: number | null;
};

const TICK = 100; // USER_HZ: /proc times are in 1/100 s on Linux

/**
 * CPU seconds (user + system) of this process's children that have been waited for: cutime and
 * cstime of /proc/self/stat. The kernel adds a child's own and its waited-for descendants' times
 * when it is reaped, so the difference around one command is the CPU of that command's whole tree
 * (the zstd and mariadb children of a pipeline included), as long as no other child exits meanwhile
 * (the benchmark runs its measured commands one at a time; servers live until the end).
 */
export function childCpuSeconds(): number | null {
  try {
    const s = fs.readFileSync("/proc/self/stat", "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    // fields 16 and 17 of stat (cutime, cstime) are 13 and 14 after the command name
    return (Number(f[13]) + Number(f[14])) / TICK;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system, all threads) a running process has used so far, e.g. a server. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return null;
  }
}

export type Running = {
  child: ChildProcess;
  pid: number;
  /** resolves when the process has exited (never rejects; check `code`) */
  done: Promise<ProcResult>;
  stop(sig?: NodeJS.Signals): void;
};

export type ProcOptions = {
  env?: Record<string, string | undefined>;
  /** a label for progress lines; child stderr lines are forwarded with it when `echo` is set */
  label: string;
  echo?: boolean;
  onStdoutLine?: (line: string) => void;
};

const TAIL = 256 * 1024;

/**
 * Starts a command in its own process group (so Ctrl-C in the terminal reaches only the benchmark,
 * which then stops it with SIGTERM, and SIGKILL for the whole group if it lingers).
 */
export function start(cmd: string, args: string[], opts: ProcOptions): Running {
  if (abortSignal.aborted) throw new BenchAborted();
  const env = { ...process.env, ...opts.env };
  const cpu0 = childCpuSeconds();
  const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const pid = child.pid!;
  const t0 = Date.now();
  const rss = new RssMonitor(pid);
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout!.on("data", (d: Buffer) => {
    const s = d.toString();
    stdout = (stdout + s).slice(-TAIL);
    if (opts.onStdoutLine) {
      const lines = (partial + s).split("\n");
      partial = lines.pop()!;
      for (const l of lines) opts.onStdoutLine(l);
    }
  });
  let errPartial = "";
  child.stderr!.on("data", (d: Buffer) => {
    const s = d.toString();
    stderr = (stderr + s).slice(-TAIL);
    if (opts.echo) {
      const lines = (errPartial + s).split("\n");
      errPartial = lines.pop()!;
      for (const l of lines) if (l.trim()) process.stderr.write(`    ${opts.label}: ${l}\n`);
    }
  });
  let exited = false;
  const stop = (sig: NodeJS.Signals = "SIGTERM") => {
    if (exited) return;
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
    // whatever is left of its group after 10 s (children it started) is killed
    setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // group gone
      }
    }, 10_000).unref();
  };
  const onAbort = () => stop("SIGTERM");
  abortSignal.addEventListener("abort", onAbort, { once: true });
  const unregister = onCleanup(`stop ${opts.label} (pid ${pid})`, async () => {
    if (exited) return;
    stop("SIGTERM");
    await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))]);
    if (!exited) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  });
  const done = new Promise<ProcResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      abortSignal.removeEventListener("abort", onAbort);
      unregister();
      const cpu1 = childCpuSeconds();
      const cpuSeconds = cpu0 === null || cpu1 === null ? null : Math.round((cpu1 - cpu0) * 100) / 100;
      resolve({ code, signal, ms: Date.now() - t0, stdout, stderr, rss: rss.stop(), cpuSeconds });
    };
    child.once("error", (e) => {
      stderr += `\n${e.message}`;
      finish(127, null);
    });
    child.once("close", finish);
  });
  return { child, pid, done, stop };
}

/** Runs a command to the end; throws (with its last stderr lines) unless it exits 0. */
export async function run(cmd: string, args: string[], opts: ProcOptions): Promise<ProcResult> {
  const r = await start(cmd, args, opts).done;
  if (abortSignal.aborted) throw new BenchAborted();
  if (r.code !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-6).join("\n    ");
    throw new Error(`${opts.label} failed (exit ${r.code ?? r.signal}):\n    ${tail || "(no output)"}`);
  }
  return r;
}

/** A shell pipeline, as a person types it; any failing stage fails it (pipefail). */
export function runShell(script: string, opts: ProcOptions): Promise<ProcResult> {
  return run("bash", ["-c", `set -euo pipefail; ${script}`], opts);
}

/** Quotes a word for bash. */
export function sh(s: string | number): string {
  const v = String(s);
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** Our CLI with --json: its parsed result plus the process measurements. */
export async function runDbbackup<T = Record<string, unknown>>(args: string[], opts: Omit<ProcOptions, "label"> & { label?: string } = {}): Promise<{ json: T; proc: ProcResult }> {
  const proc = await run(DBBACKUP, [...args, "--json"], { label: opts.label ?? `dbbackup ${args[0]}`, echo: true, ...opts });
  // --json prints one indented object, after nothing else on stdout
  const at = proc.stdout.search(/^\{/m);
  if (at < 0) throw new Error(`dbbackup ${args[0]} printed no JSON result:\n${proc.stdout.slice(-500)}`);
  return { json: JSON.parse(proc.stdout.slice(at)) as T, proc };
}

/** Bytes of every file under a directory (or of one file). */
export function diskBytes(p: string): number {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of fs.readdirSync(p)) n += diskBytes(path.join(p, e));
  return n;
}

/** The first line a tool prints for --version, or null when it is not installed. */
export async function toolVersion(cmd: string, args = ["--version"]): Promise<string | null> {
  try {
    const r = await start(cmd, args, { label: `${cmd} --version` }).done;
    if (r.code !== 0 && !r.stdout && !r.stderr) return null;
    const text = (r.stdout || r.stderr).trim().split("\n").find((l) => l.trim()) ?? "";
    return r.code === 127 ? null : text.trim();
  } catch {
    return null;
  }
}

export async function sleep(ms: number) {
  if (abortSignal.aborted) throw new BenchAborted();
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      abortSignal.removeEventListener("abort", done);
      resolve();
    }
    abortSignal.addEventListener("abort", done, { once: true });
  });
  if (abortSignal.aborted) throw new BenchAborted();
}
