import type { Progress, WorkContext } from "../server/work-context";
import { formatBytes } from "../server/util/format";

/**
 * A WorkContext for the terminal: progress on stderr (one updating line on a TTY, a line every
 * 5 s otherwise, nothing with --quiet), log lines on stderr, Ctrl-C / SIGTERM abort the work
 * cleanly (a second Ctrl-C exits at once).
 */
export function terminalContext(opts: { quiet?: boolean; stopMessage?: string } = {}): WorkContext & { done(): void; interruptedBy: () => string | null } {
  const ac = new AbortController();
  let p: Progress = { phase: "starting" };
  let last = 0;
  let bytesAt = { t: Date.now(), b: 0 };
  let rate = 0;
  const tty = process.stderr.isTTY;
  const render = (force = false) => {
    if (opts.quiet) return;
    const now = Date.now();
    if (!force && now - last < (tty ? 250 : 5000)) return;
    if (now - bytesAt.t > 1000) {
      rate = ((p.bytesDone ?? 0) - bytesAt.b) / ((now - bytesAt.t) / 1000);
      bytesAt = { t: now, b: p.bytesDone ?? 0 };
    }
    last = now;
    const pct = p.bytesTotal && p.bytesDone !== undefined ? ` ${Math.min(100, Math.round((p.bytesDone / p.bytesTotal) * 100))}%` : "";
    const parts = [
      p.phase + pct,
      p.bytesDone !== undefined ? formatBytes(p.bytesDone) + (p.bytesTotal ? `/${formatBytes(p.bytesTotal)}` : "") : "",
      p.rowsDone !== undefined ? `${p.rowsDone.toLocaleString()} rows` : "",
      p.tablesTotal ? `${p.tablesDone ?? 0}/${p.tablesTotal} tables` : "",
      rate > 0 ? `${formatBytes(rate)}/s` : "",
      p.detail ?? "",
    ].filter(Boolean);
    const line = parts.join("  ");
    if (tty) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
    else process.stderr.write(line + "\n");
  };
  const timer = setInterval(() => render(), tty ? 250 : 5000);
  let interrupts = 0;
  let interruptedBy: string | null = null;
  const onSignal = (sig: string) => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    interruptedBy = sig;
    process.stderr.write(`${tty ? "\n" : ""}${sig}: ${opts.stopMessage ?? "stopping cleanly (partial output is removed)"}; press Ctrl-C again to exit at once\n`);
    ac.abort(new Error(`interrupted by ${sig}`));
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return {
    signal: ac.signal,
    progress(u) {
      p = { ...p, ...u };
      render();
    },
    log(level, message) {
      if (opts.quiet && level === "info") return;
      if (tty) process.stderr.write("\r\x1b[2K");
      process.stderr.write(`${level === "info" ? "" : level + ": "}${message}\n`);
    },
    interruptedBy: () => interruptedBy,
    done() {
      clearInterval(timer);
      render(true);
      if (tty && !opts.quiet) process.stderr.write("\n");
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    },
  };
}
