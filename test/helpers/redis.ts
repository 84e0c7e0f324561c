import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../server/mysql/sandbox";

/**
 * A real redis-server of our own on a free port, without persistence, in a temp dir: restartable
 * (a restart loses every key, like a Redis without AOF/RDB), never the machine's shared one.
 */
export async function startRedis() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-redis-"));
  let proc: ChildProcess | null = null;
  const up = async () => {
    proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", path.join(dir, "redis.log")], { stdio: "ignore" });
    const end = Date.now() + 15_000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => {
          s.write("PING\r\n");
        });
        s.once("data", (d) => {
          s.destroy();
          resolve(d.toString().startsWith("+PONG"));
        });
        s.once("error", () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > end) throw new Error(`redis-server on port ${port} did not start (see ${dir}/redis.log)`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const down = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGKILL");
    });
  };
  await up();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Kills it and starts a new, empty one on the same port. */
    async restart() {
      await down();
      await up();
    },
    async stop() {
      await down();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type TestRedis = Awaited<ReturnType<typeof startRedis>>;
