import fs from "node:fs";
import type { Command } from "commander";
import type { ConfigFile } from "../server/config-file";
import { TLS_MODES, type ServerAddress } from "../server/mysql/connection-options";
import { pick } from "./common";
import { UsageError } from "./usage";

export type ConnectionFlags = { host?: string; port?: number; user?: string; socket?: string; passwordFile?: string; tls?: string; tlsCa?: string };

/** Adds --host --port --user --socket --password-file --tls to a command. Passwords never go on the command line. */
export function withConnectionFlags(cmd: Command, prefix = ""): Command {
  const p = prefix ? `${prefix}-` : "";
  return cmd
    .option(`--${p}host <host>`, "server host name or IP", "127.0.0.1")
    .option(`--${p}port <port>`, "server port", (v) => parsePort(v), 3306)
    .option(`--${p}user <user>`, "user name", "root")
    .option(`--${p}socket <path>`, "unix socket (instead of host/port)")
    .option(`--${p}password-file <file>`, "read the password from this file (default: $MYSQL_PWD)")
    .option(`--${p}tls <mode>`, "disabled | preferred | required | verify-ca | verify-identity", "preferred")
    .option(`--${p}tls-ca <file>`, "CA certificate (PEM) for verify-ca / verify-identity");
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--port ${v}: must be a number between 1 and 65535`);
  return n;
}

function readPasswordFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message;
    throw new UsageError(`${what} ${file}: ${why}. Put the password in a file readable only by you (chmod 600), or set MYSQL_PWD.`);
  }
}

export function addressFromFlags(f: ConnectionFlags): ServerAddress {
  let password = process.env.MYSQL_PWD ?? "";
  if (f.passwordFile) password = readPasswordFile(f.passwordFile, "--password-file");
  if (f.tls && !(TLS_MODES as readonly string[]).includes(f.tls)) throw new UsageError(`--tls ${f.tls}: use one of ${TLS_MODES.join(", ")}`);
  return {
    host: f.host,
    port: f.port,
    socket: f.socket ?? null,
    user: f.user ?? "root",
    password,
    tlsMode: (f.tls ?? "preferred") as ServerAddress["tlsMode"],
    tlsCa: f.tlsCa ?? null,
  };
}

/**
 * The server address from the command's flags and the config file's `connection` section (flags
 * win). The password comes from --password-file, else $MYSQL_PWD, else connection.password_file.
 */
export function addressFromCommand(cmd: Command, cfg: ConfigFile = {}, prefix = ""): ServerAddress {
  const c = cfg.connection ?? {};
  const k = (name: string) => (prefix ? prefix + name[0]!.toUpperCase() + name.slice(1) : name);
  const passwordFile = cmd.getOptionValue(k("passwordFile")) as string | undefined;
  const a = addressFromFlags({
    host: pick(cmd, k("host"), c.host),
    port: pick(cmd, k("port"), c.port),
    user: pick(cmd, k("user"), c.user),
    socket: pick(cmd, k("socket"), c.socket),
    tls: pick(cmd, k("tls"), c.tls),
    tlsCa: pick(cmd, k("tlsCa"), c.tls_ca),
    passwordFile,
  });
  if (!passwordFile && process.env.MYSQL_PWD === undefined && c.password_file) a.password = readPasswordFile(c.password_file, "connection.password_file");
  return a;
}
