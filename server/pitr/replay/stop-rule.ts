import { DomainError } from "../../errors";
import { parseMariaGtid } from "../../binlog/gtid-mariadb";
import { isMariaGtid } from "../gtid";
import { describeTarget, type PitrTarget } from "../plan";
import { comparePos, formatPos, type BinlogPos } from "../positions";

export type TrxBounds = { file: string; startPosition: number; endPosition: number; gtid?: string; commitTimestamp: number };

/**
 * Where replay stops. A transaction is the unit: it is applied whole or not at all.
 *  - time: transactions committed at or before the target second (commit = the XID/COMMIT event's
 *    timestamp, or the statement's own for DDL); replay stops at the first one committed later.
 *  - GTID: every transaction up to and including the one with that GTID.
 *  - FILE:POS: transactions that end at or before the position; one that spans it is not applied.
 */
export class StopRule {
  private readonly targetSec: number | null;
  private readonly gtid: string | null;
  private readonly mariaGtid: ReturnType<typeof parseMariaGtid> | null;
  private readonly position: BinlogPos | null;
  reached = false;

  constructor(readonly until: PitrTarget | undefined) {
    this.targetSec = until && "time" in until ? Math.floor(until.time.getTime() / 1000) : null;
    this.gtid = until && "gtid" in until ? until.gtid : null;
    this.mariaGtid = this.gtid && isMariaGtid(this.gtid) ? parseMariaGtid(this.gtid) : null;
    this.position = until && "position" in until ? until.position : null;
  }

  /** Before a transaction begins: whether nothing from here on may be applied. */
  stopsBefore(start: BinlogPos, gtid: string | undefined): boolean {
    if (this.reached) return true;
    if (this.position && comparePos(start, this.position) >= 0) return true;
    if (this.mariaGtid && gtid) {
      const g = parseMariaGtid(gtid);
      if (g.domain === this.mariaGtid.domain && g.seq > this.mariaGtid.seq) {
        throw new DomainError(
          "PRECONDITION",
          `GTID ${this.gtid} is not in the archived binlogs: domain ${g.domain} goes from before it straight to ${gtid} (at ${formatPos(start)}). Check the GTID (SELECT @@gtid_binlog_pos on the source) or restore to a time or position instead.`,
          { field: "untilGtid" },
        );
      }
    }
    return false;
  }

  /** At a transaction's commit: whether it is applied (false: replay stops before it). */
  includes(t: TrxBounds): boolean {
    if (this.reached) return false;
    if (this.targetSec !== null) return t.commitTimestamp <= this.targetSec;
    if (this.position) return comparePos({ file: t.file, position: t.endPosition }, this.position) <= 0;
    return true;
  }

  /** After a transaction was applied: whether it was the target's last one. */
  afterApplied(t: TrxBounds) {
    if (this.gtid && t.gtid === this.gtid) this.reached = true;
    if (this.position && comparePos({ file: t.file, position: t.endPosition }, this.position) === 0) this.reached = true;
  }

  /** The sources ran out: fine for a time (nothing happened after), an error when the target was never seen. */
  checkEnd(readUpTo: BinlogPos | null, lastEventAt: number | null, log: (msg: string) => void) {
    if (this.reached || !this.until) return;
    if (this.gtid) {
      throw new DomainError("PRECONDITION", `GTID ${this.gtid} was not found in the archived binlogs replayed${readUpTo ? ` (up to ${formatPos(readUpTo)})` : ""}. Check the GTID, or wait until the archiver has shipped it.`, { field: "untilGtid" });
    }
    if (this.position && (!readUpTo || comparePos(readUpTo, this.position) < 0)) {
      throw new DomainError("PRECONDITION", `The archived binlogs end at ${readUpTo ? formatPos(readUpTo) : "their start"}, before ${formatPos(this.position)}: the target position was not reached. Choose an earlier position or wait until the archiver has shipped it.`, { field: "untilPosition" });
    }
    if (this.targetSec !== null && lastEventAt !== null && lastEventAt < this.targetSec) {
      log(`The newest replayed event is from ${new Date(lastEventAt * 1000).toISOString()}, before ${describeTarget(this.until)}: everything archived up to then was applied.`);
    }
  }
}
