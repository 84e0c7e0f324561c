import type { Progress, WorkContext } from "../../work-context";

/** Aggregates progress from every worker and reports it at most every 200 ms. */
export class ProgressReporter {
  rowsDone = 0;
  bytesDone = 0;
  tablesDone = 0;
  private last = 0;
  constructor(
    private readonly ctx: WorkContext,
    readonly totals: { rowsTotal?: number; bytesTotal?: number; tablesTotal?: number },
    public phase: string,
  ) {}
  add(rows: number, bytes: number, detail?: string) {
    this.rowsDone += rows;
    this.bytesDone += bytes;
    this.report(false, detail);
  }
  tableDone(detail?: string) {
    this.tablesDone++;
    this.report(true, detail);
  }
  setPhase(phase: string, detail?: string) {
    this.phase = phase;
    this.report(true, detail);
  }
  report(force: boolean, detail?: string) {
    const now = Date.now();
    if (!force && now - this.last < 200) return;
    this.last = now;
    const p: Partial<Progress> = {
      phase: this.phase,
      rowsDone: this.rowsDone,
      bytesDone: this.bytesDone,
      tablesDone: this.tablesDone,
      ...this.totals,
    };
    // estimates (information_schema) can be below the truth; never show more than 100 %
    if (p.rowsTotal !== undefined && p.rowsDone! > p.rowsTotal) p.rowsTotal = p.rowsDone;
    if (p.bytesTotal !== undefined && p.bytesDone! > p.bytesTotal) p.bytesTotal = p.bytesDone;
    if (detail) p.detail = detail;
    this.ctx.progress(p);
  }
}
