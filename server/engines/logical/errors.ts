import { DomainError } from "../../errors";
import { describeAddress, type ServerAddress } from "../../mysql/connection-options";
import { accountOf } from "./sql-text";

type MysqlishError = Error & { code?: string; errno?: number; sqlMessage?: string; fatal?: boolean };

const LOST_CODES = new Set(["PROTOCOL_CONNECTION_LOST", "ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT", "ER_SERVER_SHUTDOWN", "ER_CONNECTION_KILLED", "PROTOCOL_SEQUENCE_TIMEOUT", "ER_NET_READ_INTERRUPTED", "ER_NET_WRITE_INTERRUPTED"]);

export function isConnectionLost(e: unknown): boolean {
  const err = e as MysqlishError;
  return LOST_CODES.has(err?.code ?? "") || err?.errno === 2013 || err?.errno === 2006 || /Connection lost|closed state|socket hang up/i.test(err?.message ?? "");
}

export function isLockWaitTimeout(e: unknown): boolean {
  return (e as MysqlishError)?.errno === 1205;
}

/** InnoDB chose this statement as a deadlock victim (1213) or it waited too long for a row lock (1205). */
export function isTransientLockError(e: unknown): boolean {
  return (e as MysqlishError)?.errno === 1213 || isLockWaitTimeout(e);
}

/** Messages arrive in the session's result character set; our sessions use binary, so re-read them as UTF-8. */
export function serverMessage(e: unknown): string {
  const err = e as MysqlishError;
  const msg = err?.sqlMessage ?? err?.message ?? String(e);
  return /[\u0080-\u00ff]/.test(msg) ? Buffer.from(msg, "latin1").toString("utf8") : msg;
}

/** The database an "access denied" error names ("... for table `db`.`t`"), as a GRANT scope. */
export function deniedScope(e: unknown): string | null {
  const m = /for table `((?:[^`]|``)+)`\./.exec(serverMessage(e));
  return m ? `\`${m[1]}\`.*` : null;
}

/** The privilege an "access denied" error names, if it is one. */
export function deniedPrivilege(e: unknown): string | null {
  const err = e as MysqlishError;
  const msg = serverMessage(e);
  if (err?.errno === 1227 || err?.errno === 1044 || err?.errno === 1142 || err?.errno === 1370 || err?.errno === 1143) {
    const need = /need \(at least one of\) the (.+?) privilege/i.exec(msg);
    if (need) return need[1]!.split(",")[0]!.trim().toUpperCase();
    const cmd = /^(\w[\w ]*?) command denied/i.exec(msg);
    if (cmd) return cmd[1]!.toUpperCase();
    return "SELECT";
  }
  return null;
}

/** A GRANT statement that fixes a missing privilege, on `scope` ("*.*", "`db`.*"). */
export function grantFix(privilege: string, scope: string, currentUser: string): string {
  return `GRANT ${privilege} ON ${scope} TO ${accountOf(currentUser)};`;
}

/**
 * Turns whatever a dump or restore step threw into a DomainError that says where it happened:
 * lost connections name the table being worked on, missing privileges name the GRANT.
 */
export function explainStepError(e: unknown, ctx: { address: ServerAddress; doing: string; currentUser?: string; scope?: string }): Error {
  if (e instanceof DomainError) return e;
  const where = describeAddress(ctx.address);
  if (isConnectionLost(e)) {
    return new DomainError("UNAVAILABLE", `The connection to ${where} was lost while ${ctx.doing}: the server restarted, was killed, or closed the connection (check its error log). The work can be retried.`, { retryable: true, cause: e });
  }
  if (isLockWaitTimeout(e)) {
    return new DomainError("UNAVAILABLE", `Lock wait timeout on ${where} while ${ctx.doing}: ${serverMessage(e)}. Retry later.`, { retryable: true, cause: e });
  }
  const priv = deniedPrivilege(e);
  if (priv) {
    const fix = ctx.currentUser ? ` ${grantFix(priv, deniedScope(e) ?? ctx.scope ?? "*.*", ctx.currentUser)}` : "";
    return new DomainError("FORBIDDEN", `Missing privilege ${priv} on ${where} while ${ctx.doing}: ${serverMessage(e)}.${fix}`, { cause: e });
  }
  const err = e as MysqlishError;
  if (err?.errno === 1412) {
    return new DomainError("UNAVAILABLE", `A table changed (DDL) on ${where} while ${ctx.doing}; the snapshot cannot read it. Retry the backup when no ALTER/CREATE runs.`, { retryable: true, cause: e });
  }
  return new DomainError("INTERNAL", `${where}: ${ctx.doing} failed: ${serverMessage(e)}${err?.code ? ` (${err.code})` : ""}`, { cause: e });
}
