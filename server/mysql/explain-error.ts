import { describeAddress, type ServerAddress } from "./connection-options";

type MysqlishError = Error & { code?: string; errno?: number; sqlMessage?: string; syscall?: string; hostname?: string };

/**
 * Turns a connection or query error into a sentence a DBA can act on: what failed, where, and what
 * to do. Used by "Test connection", introspection and every engine.
 */
export function explainMysqlError(e: unknown, a: Pick<ServerAddress, "host" | "port" | "socket" | "user" | "tlsMode">): { cause: string; message: string } {
  const err = e as MysqlishError;
  const where = describeAddress(a);
  const code = err?.code ?? "";
  const msg = err?.sqlMessage ?? err?.message ?? String(e);
  switch (code) {
    case "ECONNREFUSED":
      return { cause: "refused", message: `Connection refused by ${where}: nothing is listening there. Check the port, that the server is running, and its bind-address.` };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return { cause: "dns", message: `DNS: the host name ${JSON.stringify(a.host)} does not resolve. Check the spelling or use an IP address.` };
    case "ETIMEDOUT":
    case "ECONNRESET":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return { cause: "timeout", message: `No answer from ${where} within 5 s (${code}): a firewall, a wrong address, or the server is down.` };
    case "ENOENT":
      return { cause: "socket", message: `The socket ${a.socket} does not exist. Is the server running on this machine? Check @@socket on the server.` };
    case "EACCES":
      return { cause: "socket", message: `Permission denied opening ${where}. Run dbbackup as a user that can open the socket.` };
    case "ER_ACCESS_DENIED_ERROR":
    case "ER_ACCESS_DENIED_NO_PASSWORD_ERROR":
      return {
        cause: "access-denied",
        message: `Access denied for user ${JSON.stringify(a.user)} at ${where}: ${msg}. Check the password, or create the account: CREATE USER '${a.user}'@'%' IDENTIFIED BY '...'; then grant what the host page lists.`,
      };
    case "ER_HOST_NOT_PRIVILEGED":
      return { cause: "access-denied", message: `${where} does not accept connections from this machine for ${JSON.stringify(a.user)}: ${msg}. Create the user for this client host ('${a.user}'@'<this machine>') or '%'.` };
    case "ER_DBACCESS_DENIED_ERROR":
      return { cause: "access-denied", message: `${msg} at ${where}. Grant the user access to that database.` };
    case "HANDSHAKE_NO_SSL_SUPPORT":
      return { cause: "tls", message: `${where} does not offer TLS but the host is set to TLS ${a.tlsMode}. Enable ssl on the server or set TLS to "preferred"/"disabled".` };
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "CERT_HAS_EXPIRED":
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return { cause: "tls", message: `TLS verification of ${where} failed (${code}): ${err.message}. Provide the CA certificate that signed the server's certificate, or use TLS "required" (encrypt without verifying).` };
    case "PROTOCOL_CONNECTION_LOST":
      return { cause: "lost", message: `The connection to ${where} was lost: the server restarted, was killed, or closed the connection (wait_timeout / max_allowed_packet).` };
  }
  if (/connect ETIMEDOUT|timeout/i.test(err?.message ?? "")) {
    return { cause: "timeout", message: `No answer from ${where} within 5 s: a firewall, a wrong address, or the server is down.` };
  }
  if (/SSL|TLS|certificate/i.test(err?.message ?? "")) {
    return { cause: "tls", message: `TLS to ${where} failed: ${err.message}. Check the TLS mode and CA.` };
  }
  return { cause: "error", message: `${where}: ${msg}${code ? ` (${code})` : ""}` };
}
