import type mysql from "mysql2/promise";

/** Work for the dump's worker connections; `order` ranks it (lexicographic, smallest first). */
export type Task = { label: string; order: number[]; run(conn: mysql.Connection): Promise<void> };

function before(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}

/**
 * The dump's work queue. A free worker always takes the task with the smallest order: the
 * earliest chunk of the earliest table. For the single SQL file that is what keeps the file moving
 * (the chunk the file needs next is never left waiting behind later ones); for backup sets the
 * order puts the biggest tables first. Tasks may queue tasks (planned ranges, next pages).
 */
export class TaskQueue {
  private items: Task[] = [];
  private running = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  push(tasks: Task[]) {
    this.items.push(...tasks);
    this.wake();
  }

  /** The next task, or null when everything is done or the queue was closed. */
  async next(): Promise<Task | null> {
    for (;;) {
      if (this.closed) return null;
      if (this.items.length) {
        let best = 0;
        for (let i = 1; i < this.items.length; i++) if (before(this.items[i]!.order, this.items[best]!.order)) best = i;
        const [t] = this.items.splice(best, 1);
        this.running++;
        return t!;
      }
      if (this.running === 0) return null;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Marks a task as finished (after it queued whatever follows it). */
  finished() {
    this.running--;
    this.wake();
  }

  close() {
    this.closed = true;
    this.wake();
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}
