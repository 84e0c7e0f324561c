import { DomainError, errorMessage } from "../../errors";

type SqlError = { errno?: number; code?: string; sqlMessage?: string; message?: string };

export type CloneErrorContext = {
  /** where CLONE ran: the source itself (local) or a recipient (remote) */
  where: string;
  donor: string;
  dir: string;
  /** GRANT statements that fix a missing privilege, per side */
  grantBackupAdmin: string;
  grantCloneAdmin: string;
};

/**
 * Turns a failed CLONE statement into what a DBA does next. Error numbers are MySQL 8.0's
 * (ER_CLONE_* 3862-3875 and the usual access/plugin errors).
 */
export function explainCloneError(e: unknown, c: CloneErrorContext): DomainError {
  const err = e as SqlError;
  const msg = err.sqlMessage ?? err.message ?? errorMessage(e);
  const say = (text: string, retryable = false) => new DomainError(retryable ? "UNAVAILABLE" : "PRECONDITION", `Clone on ${c.where} failed: ${msg} (error ${err.errno ?? err.code}). ${text}`.trim(), { retryable, cause: e });
  switch (err.errno) {
    case 1524: // ER_PLUGIN_IS_NOT_LOADED
      return say(`Clone plugin not found: INSTALL PLUGIN clone SONAME 'mysql_clone.so'; on ${c.where}${c.where === c.donor ? "" : ` and on ${c.donor}`}.`);
    case 1227: // ER_SPECIFIC_ACCESS_DENIED_ERROR
      return say(/CLONE_ADMIN/.test(msg) ? `Insufficient privileges: ${c.grantCloneAdmin}` : `Insufficient privileges: ${c.grantBackupAdmin}`);
    case 1007: // ER_DB_CREATE_EXISTS: the clone directory exists
      return say(`The clone directory ${c.dir} already exists; remove it or choose another cloneDir.`);
    case 3862: // ER_CLONE_DONOR
      return say(`The donor ${c.donor} reported the error; see its error log.`, true);
    case 3863: // ER_CLONE_PROTOCOL
      return say(`Donor and recipient do not speak the same clone protocol: use the same MySQL version on both.`);
    case 3864: // ER_CLONE_DONOR_VERSION
      return say(`Clone needs donor and recipient on the same MySQL series (and, before 8.0.37, the same release): upgrade the recipient to the donor's version.`);
    case 3865: // ER_CLONE_OS
    case 3866: // ER_CLONE_PLATFORM
      return say(`Donor and recipient must run the same operating system and platform.`);
    case 3867: // ER_CLONE_CHARSET
      return say(`The recipient lacks a character set or collation the donor uses; use the same MySQL build on both.`);
    case 3868: // ER_CLONE_CONFIG
      return say(`Set the named variable on the recipient to the donor's value (e.g. in my.cnf) and retry.`);
    case 3869: // ER_CLONE_SYS_CONFIG
      return say(
        /donor_list/i.test(msg)
          ? `Allow the donor on the recipient: SET GLOBAL clone_valid_donor_list = '${c.donor}';`
          : `Fix the recipient's configuration named in the message (e.g. max_allowed_packet >= 2M) and retry.`,
      );
    case 3870: // ER_CLONE_PLUGIN_MATCH
      return say(`Install on the recipient the plugins that are active on the donor (INSTALL PLUGIN ...), then retry.`);
    case 3871: // ER_CLONE_LOOPBACK
      return say(`Use DATA DIRECTORY for a clone of the instance into itself (this engine always does); check the donor host and port.`);
    case 3872: // ER_CLONE_ENCRYPTION
      return say(`Encrypted tables need an SSL connection to the donor: enable TLS on the donor.`);
    case 3873: // ER_CLONE_DISK_SPACE
      return say(`Free space where the clone is written (${c.dir}) or choose another cloneDir on a larger filesystem.`);
    case 3874: // ER_CLONE_IN_PROGRESS
      return say(`Another clone is running on ${c.where}; retry when it has finished.`, true);
    case 3875: // ER_CLONE_DISALLOWED
      return say(`Wait until the blocking condition named in the message has passed, then retry.`, true);
    case 1317: // ER_QUERY_INTERRUPTED
      return say(`The clone was interrupted (KILL QUERY or shutdown).`, true);
    case 2013:
    case 2006:
      return say(`The connection was lost during the clone; check that ${c.where} is up and retry.`, true);
  }
  return say("", err.code === "ECONNRESET" || err.code === "PROTOCOL_CONNECTION_LOST");
}
