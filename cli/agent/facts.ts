import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { AgentFacts } from "../../server/agents/manage-agents";
import { fstypeFromMountinfo } from "../../server/mysql/filesystem-type";

const run = promisify(execFile);

/** The tools the physical engines use, looked up on PATH. */
const TOOLS = ["mariadb-backup", "mariabackup", "mbstream", "xtrabackup", "xbstream", "lvcreate", "zfs", "btrfs", "mariadb", "mysqld", "mariadbd"];

async function which(tool: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, tool);
    try {
      await fs.promises.access(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Datadirs of the MariaDB/MySQL servers running on this machine (their --datadir), plus /var/lib/mysql. */
async function localDatadirs(extra: string[]): Promise<string[]> {
  const found = new Set<string>(extra);
  try {
    for (const pid of await fs.promises.readdir("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      const cmd = await fs.promises.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
      const args = cmd.split("\0");
      if (!/(mariadbd|mysqld)$/.test(args[0] ?? "")) continue;
      for (const a of args) if (a.startsWith("--datadir=")) found.add(path.resolve(a.slice("--datadir=".length)));
    }
  } catch {
    // no /proc: only the defaults
  }
  if (fs.existsSync("/var/lib/mysql")) found.add("/var/lib/mysql");
  return [...found].sort();
}

/** What the agent tells the dashboard about its machine at registration. */
export async function gatherAgentFacts(o: { datadirs?: string[] } = {}): Promise<AgentFacts> {
  const tools: Record<string, string | null> = {};
  for (const t of TOOLS) tools[t] = await which(t);
  const mountinfo = await fs.promises.readFile("/proc/self/mountinfo", "utf8").catch(() => null);
  const datadirs = (await localDatadirs(o.datadirs ?? [])).map((p) => {
    let real = p;
    try {
      real = fs.realpathSync(p);
    } catch {
      // keep it
    }
    return { path: p, filesystem: mountinfo ? fstypeFromMountinfo(mountinfo, real) : null };
  });
  let kernel = os.release();
  try {
    kernel = (await run("uname", ["-sr"])).stdout.trim();
  } catch {
    // os.release() then
  }
  return { platform: `${kernel} ${os.arch()}, node ${process.version}`, tools, datadirs };
}
