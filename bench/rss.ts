// Peak memory of a child process and its descendants, read from /proc while it runs.
import fs from "node:fs";

export type RssReport = {
  /** VmHWM of the process itself (its own high-water mark, kept by the kernel), MB */
  mainPeakMb: number | null;
  /** largest sum of VmRSS over the process and its descendants seen at one sample, MB */
  treePeakMb: number;
  /** largest VmHWM per command name among the process and its descendants, MB */
  byCommand: Record<string, number>;
};

function readStatus(pid: number): { name: string; rssKb: number; hwmKb: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const name = /^Name:\s+(.*)$/m.exec(s)?.[1] ?? "?";
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(s)?.[1] ?? 0);
    const hwmKb = Number(/^VmHWM:\s+(\d+)/m.exec(s)?.[1] ?? 0);
    return { name, rssKb, hwmKb };
  } catch {
    return null;
  }
}

/** pid -> parent pid for every process (from /proc/<pid>/stat; the name may hold spaces and parentheses). */
function parentMap(): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
      m.set(Number(e), Number(rest[1]));
    } catch {
      // gone
    }
  }
  return m;
}

/**
 * Samples a process tree every `intervalMs`. VmHWM never decreases, so the last sample before exit
 * gives the process's own peak (growth in its final interval can be missed).
 */
export class RssMonitor {
  private timer: NodeJS.Timeout;
  private mainHwmKb: number | null = null;
  private treePeakKb = 0;
  private hwmByPid = new Map<number, { name: string; hwmKb: number }>();

  constructor(
    private readonly rootPid: number,
    intervalMs = 200,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample() {
    const main = readStatus(this.rootPid);
    if (!main) return;
    this.mainHwmKb = Math.max(this.mainHwmKb ?? 0, main.hwmKb);
    const parents = parentMap();
    const tree = new Set<number>([this.rootPid]);
    // descendants: repeat until no new child is found (a handful of passes for shallow trees)
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, ppid] of parents) {
        if (!tree.has(pid) && tree.has(ppid)) {
          tree.add(pid);
          grew = true;
        }
      }
    }
    let sum = 0;
    for (const pid of tree) {
      const st = pid === this.rootPid ? main : readStatus(pid);
      if (!st) continue;
      sum += st.rssKb;
      const prev = this.hwmByPid.get(pid);
      if (!prev || st.hwmKb > prev.hwmKb) this.hwmByPid.set(pid, { name: st.name, hwmKb: st.hwmKb });
    }
    this.treePeakKb = Math.max(this.treePeakKb, sum);
  }

  stop(): RssReport {
    clearInterval(this.timer);
    const byCommand: Record<string, number> = {};
    for (const { name, hwmKb } of this.hwmByPid.values()) byCommand[name] = Math.max(byCommand[name] ?? 0, Math.round(hwmKb / 1024));
    return { mainPeakMb: this.mainHwmKb === null ? null : Math.round(this.mainHwmKb / 1024), treePeakMb: Math.round(this.treePeakKb / 1024), byCommand };
  }

  /** Takes a last sample now (call it just before the process is expected to exit). */
  sampleNow() {
    this.sample();
  }
}
