// Measures how long commits are held up by a lock while a backup runs, the same way for every
// tool: one connection commits a tiny row every 10 ms (in a database no backup reads, not
// binlogged) while a second one reads that connection's state from the processlist every 5 ms.
// The longest stretch spent "Waiting for ... lock" is the lock's effect on a writer; the commit
// latencies are kept too, but they also hold fsync stalls of a busy disk.
import type { RowDataPacket } from "mysql2";
import type { Connection } from "mysql2/promise";
import type { Server } from "./servers";

export type ProbeResult = {
  commits: number;
  /** longest continuous time the probe's commit waited for a lock (processlist), ms */
  lockWaitMs: number;
  /** longest commit round trip, ms (lock waits plus fsync and CPU stalls) */
  maxCommitMs: number;
  p99CommitMs: number;
};

export async function prepareProbe(sb: Server) {
  await sb.sql("CREATE DATABASE IF NOT EXISTS benchprobe; CREATE TABLE IF NOT EXISTS benchprobe.commits (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6)) ENGINE=InnoDB");
}

export class CommitProbe {
  private stopped = false;
  private latencies: number[] = [];
  private longestWait = 0;
  private writer: Promise<void>;
  private watcher: Promise<void>;
  private conns: Connection[] = [];
  private writerId: Promise<number>;

  private constructor(sb: Server) {
    let setId!: (id: number) => void;
    this.writerId = new Promise((r) => (setId = r));
    this.writer = this.write(sb, setId);
    this.watcher = this.watch(sb);
  }

  static start(sb: Server) {
    return new CommitProbe(sb);
  }

  private async write(sb: Server, setId: (id: number) => void) {
    const c = await sb.connect();
    this.conns.push(c);
    setId(c.threadId!);
    await c.query("SET SESSION sql_log_bin = 0");
    while (!this.stopped) {
      const t0 = performance.now();
      await c.query("INSERT INTO benchprobe.commits (at) VALUES (NOW(6))");
      this.latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async watch(sb: Server) {
    const c = await sb.connect();
    this.conns.push(c);
    const id = await this.writerId;
    let since: number | null = null;
    while (!this.stopped) {
      const [rows] = await c.query<RowDataPacket[]>("SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = ?", [id]);
      const now = performance.now();
      const waiting = /lock/i.test(String(rows[0]?.STATE ?? ""));
      if (waiting) since ??= now;
      else if (since !== null) {
        this.longestWait = Math.max(this.longestWait, now - since);
        since = null;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    if (since !== null) this.longestWait = Math.max(this.longestWait, performance.now() - since);
  }

  async stop(): Promise<ProbeResult> {
    this.stopped = true;
    try {
      await Promise.all([this.writer, this.watcher]);
    } finally {
      for (const c of this.conns) await c.end().catch(() => undefined);
    }
    const s = [...this.latencies].sort((a, b) => a - b);
    return {
      commits: s.length,
      lockWaitMs: Math.round(this.longestWait),
      maxCommitMs: Math.round(s[s.length - 1] ?? 0),
      p99CommitMs: Math.round(s.length ? s[Math.min(s.length - 1, Math.floor(0.99 * s.length))]! : 0),
    };
  }
}
