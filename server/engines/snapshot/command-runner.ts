import { spawn } from "node:child_process";
import { findTool } from "../../mysql/tools";

export type CommandResult = { code: number; stdout: string; stderr: string };

/**
 * Runs one external command and collects its output. Snapshot backends talk to btrfs, LVM and ZFS
 * only through this, so a test can script the whole conversation (LVM and ZFS cannot run here).
 * A non-zero exit is returned, not thrown: each backend turns it into its own advice.
 */
export interface CommandRunner {
  run(cmd: string, args: string[], opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<CommandResult>;
}

/** The line a person would type, for logs and "remove it by hand" hints. */
export function commandLine(cmd: string, args: string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** Runs commands on this machine. Output is capped so a chatty tool cannot fill memory. */
export const systemRunner: CommandRunner = {
  run(cmd, args, opts = {}) {
    const exe = cmd.includes("/") ? cmd : (findTool(cmd) ?? cmd);
    return new Promise((resolve) => {
      const child = spawn(exe, args, { stdio: ["ignore", "pipe", "pipe"], signal: opts.signal, timeout: opts.timeoutMs ?? 120_000, killSignal: "SIGKILL" });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout = (stdout + d.toString()).slice(-65536)));
      child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-16384)));
      child.on("error", (e: NodeJS.ErrnoException) => {
        const why = e.code === "ENOENT" ? `${cmd}: command not found` : e.name === "AbortError" ? `${cmd}: cancelled` : `${cmd}: ${e.message}`;
        resolve({ code: 127, stdout, stderr: stderr + why });
      });
      child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: signal && !stderr ? `${cmd} killed by ${signal}` : stderr }));
    });
  },
};
