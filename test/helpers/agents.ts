import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { handleAgentApi } from "../../server/agents/agent-api";

const BIN = path.resolve(import.meta.dirname, "../../bin/dbbackup");

/**
 * The dashboard's agent API (the same handler app/api/agent/[...path] serves) on a plain HTTP
 * server in this process, so agent child processes talk HTTP to the test's catalog.
 */
export async function startAgentApiServer() {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const m = /^\/api\/agent\/(.*)$/.exec(url.pathname);
      if (!m) {
        res.writeHead(404).end();
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const request = new Request(url, { method: req.method, headers, ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}) });
      void handleAgentApi(request, m[1]!.split("/").filter(Boolean)).then(async (r) => {
        res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" });
        res.end(Buffer.from(await r.arrayBuffer()));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export type AgentProcess = { proc: ChildProcess; output: () => string; waitFor(re: RegExp, ms?: number): Promise<void>; stop(): Promise<void> };

/** Starts `dbbackup agent` as a child process (its own process: SIGSTOP/SIGKILL reach only it). */
export function startAgentProcess(o: { server: string; token: string; env?: Record<string, string>; wrap?: string[] }): AgentProcess {
  // wrap: a command that execs the agent (e.g. unshare into a mount namespace of its own), so the pid is still the agent's
  const argv = [...(o.wrap ?? []), BIN, "agent", "--server", o.server];
  const proc = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, DBBACKUP_AGENT_TOKEN: o.token, ...o.env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return {
    proc,
    output: () => out,
    async waitFor(re, ms = 30_000) {
      const end = Date.now() + ms;
      while (!re.test(out)) {
        if (proc.exitCode !== null) throw new Error(`the agent exited (${proc.exitCode}) before ${re}:\n${out}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${re} in the agent's output:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        proc.once("exit", () => resolve());
        proc.kill("SIGCONT");
        proc.kill("SIGTERM");
        setTimeout(() => proc.kill("SIGKILL"), 10_000).unref();
      });
    },
  };
}
