import type { BinlogEvent } from "../../binlog";
import { DomainError, errorMessage } from "../../errors";
import { formatPos, type BinlogPos } from "../positions";
import { connectionLost, ReplayConnection } from "./apply-connection";
import { StatementFailure, type TrxRef } from "./batcher";

/** Thrown between transactions when the work is cancelled. */
export class Cancelled extends Error {}

/** "binlog.000042:1234 (GTID 0-1-55)" */
export function where(file: string, ev: BinlogEvent, gtid?: string): string {
  return `${formatPos({ file, position: ev.position })}${gtid ? ` (GTID ${gtid})` : ""}`;
}

export function unreadable(at: string, ev: BinlogEvent): DomainError {
  return new DomainError("INVALID", `${at}: the ${ev.typeName} event cannot be decoded (${ev.decodeError ?? "unknown layout"}).`);
}

export function damaged(at: string, what: string): DomainError {
  return new DomainError("INVALID", `${at}: ${what}. Replay must start at a transaction boundary (the backup's coordinates) and read whole transactions; the binlog or the coordinates are wrong.`);
}

export function unsupported(at: string, pos: BinlogPos, what: string, hint: string): DomainError {
  return new DomainError("PRECONDITION", `${at}: ${what} cannot be replayed: ${hint}. Everything before ${formatPos(pos)} can be restored.`);
}

/** What the target holds after a failure. */
export function appliedUpTo(committed: number, last: TrxRef | null): string {
  if (!last) return "no transaction was applied";
  return `${committed} transaction(s) were applied, the last ending at ${formatPos({ file: last.file, position: last.endPosition })}${last.gtid ? ` (GTID ${last.gtid})` : ""}`;
}

/** The error a failed replay ends with: where it stopped, which statement, why, and what is applied. */
export function replayError(e: unknown, conn: ReplayConnection, applied: string): unknown {
  if (e instanceof StatementFailure) {
    const s = e.stmt;
    const t = s.trx;
    const at = `${formatPos({ file: s.file, position: s.position })}${t?.gtid ? ` (GTID ${t.gtid})` : ""}`;
    if (e.protocol) {
      const lost = connectionLost(conn.where, e.serverError);
      return new DomainError(lost.code, `Replay stopped at ${at}: ${lost.message} ${applied}.`, { cause: e.serverError });
    }
    const trxText = t ? ` in the transaction starting at ${formatPos({ file: t.file, position: t.startPosition })}` : "";
    return new DomainError("PRECONDITION", `Replay failed at ${at}${trxText}: ${ReplayConnection.explain(conn.where, e.serverError, s.label)}. Statement: ${s.label}. That transaction was rolled back; ${applied}.`, {
      cause: e.serverError,
    });
  }
  if (e instanceof DomainError) return new DomainError(e.code, `${e.message} (${applied}.)`, { field: e.field, retryable: e.retryable, cause: e });
  return new DomainError("INTERNAL", `Replay failed: ${errorMessage(e)} (${applied}.)`, { cause: e });
}
