// Facts about the machine the numbers came from, and the load on it while they were taken.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { findTool } from "../server/mysql/tools";
import { toolVersion } from "./proc";

export type MachineFacts = {
  cores: number;
  cpuModel: string;
  ramGb: number;
  kernel: string;
  os: string;
  node: string;
  disk: string;
  versions: Record<string, string | null>;
};

function quiet(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

export async function machineFacts(workDir: string): Promise<MachineFacts> {
  const osName = /^PRETTY_NAME="?([^"\n]*)/m.exec(fs.readFileSync("/etc/os-release", "utf8"))?.[1] ?? os.type();
  const mount = quiet("findmnt", ["-n", "-o", "SOURCE,FSTYPE", "-T", workDir]).replace(/\s+/g, " ");
  const dev = mount.split(" ")[0] ?? "";
  const [devName, size, rota] = dev.startsWith("/dev/") ? quiet("lsblk", ["-n", "-d", "-o", "NAME,SIZE,ROTA", dev]).split(/\s+/) : [];
  const versions: Record<string, string | null> = {};
  const tools: [string, string, string[]?][] = [
    ["mariadbd", "mariadbd"],
    ["mariadb-dump", "mariadb-dump"],
    ["mariadb-backup", "mariadb-backup"],
    ["mydumper", "mydumper"],
    ["myloader", "myloader"],
    ["zstd", "zstd"],
    ["sysbench", "sysbench"],
    ["btrfs-progs", "btrfs"],
  ];
  for (const [name, cmd, args] of tools) {
    const exe = findTool(cmd);
    versions[name] = exe ? ((await toolVersion(exe, args))?.replace(/^\*+\s*|\s*\*+$/g, "") ?? null) : null;
  }
  return {
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "?",
    ramGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
    os: osName,
    node: process.version,
    disk: `${workDir} on ${mount || "?"}${devName ? ` (block device ${devName}, ${size}, rotational=${rota})` : ""}`,
    versions,
  };
}

/** Samples the 1-minute load average every 5 s for the whole run. */
export class LoadSampler {
  private samples: number[] = [];
  private timer: NodeJS.Timeout;
  constructor() {
    this.sample();
    this.timer = setInterval(() => this.sample(), 5000);
    this.timer.unref();
  }
  private sample() {
    this.samples.push(os.loadavg()[0]!);
  }
  now() {
    return Math.round(os.loadavg()[0]! * 100) / 100;
  }
  stop() {
    clearInterval(this.timer);
    const s = this.samples;
    const avg = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
    return { samples: s.length, min: Math.min(...s), mean: Math.round(avg * 100) / 100, max: Math.max(...s) };
  }
}
