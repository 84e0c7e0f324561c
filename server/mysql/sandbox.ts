import { spawn, execFile, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import type { ServerAddress } from "./connection-options";
import { findTool } from "./tools";
import { DomainError } from "../errors";

const execFileP = promisify(execFile);

/**
 * Throwaway MariaDB (or MySQL) servers on this machine: for tests, the demo, verification by
 * restore and physical restores. Each has its own datadir, port and socket; starting one takes
 * about a second (datadirs are copied from a template initialised once per machine).
 */
export type SandboxOptions = {
  /** Directory that holds datadir, socket, logs. A fresh temp dir when omitted. */
  dir?: string;
  /** Use this existing datadir (e.g. a restored physical backup) instead of a fresh one. */
  datadir?: string;
  port?: number;
  serverId?: number;
  binlog?: boolean;
  /** Extra mariadbd options, e.g. ["--binlog-row-image=MINIMAL"]. */
  args?: string[];
  /** Remove the directory when stopped (default true for temp dirs). */
  removeOnStop?: boolean;
  startTimeoutMs?: number;
};

export class Sandbox {
  private child: ChildProcess | null = null;
  constructor(
    readonly dir: string,
    readonly datadir: string,
    readonly port: number,
    readonly serverId: number,
    private readonly args: string[],
    private readonly removeOnStop: boolean,
    private readonly startTimeoutMs: number,
  ) {}

  get socket() {
    return path.join(this.dir, "mysqld.sock");
  }
  get tmpdir() {
    return path.join(this.dir, "tmp");
  }
  get errorLog() {
    return path.join(this.dir, "error.log");
  }
  get binlogBase() {
    return path.join(this.datadir, "binlog");
  }

  address(database?: string): ServerAddress {
    return { host: "127.0.0.1", port: this.port, user: "root", password: "", tlsMode: "disabled", database };
  }

  /** A mysql2 connection as root; the caller closes it. */
  async connect(opts: mysql.ConnectionOptions = {}) {
    return mysql.createConnection({ host: "127.0.0.1", port: this.port, user: "root", password: "", multipleStatements: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, ...opts });
  }

  /** Runs SQL (several statements allowed) and returns the last result's rows. */
  async sql<T = Record<string, unknown>>(statement: string, params: unknown[] = []): Promise<T[]> {
    const c = await this.connect();
    try {
      const [rows] = await c.query(statement, params);
      return rows as T[];
    } finally {
      await c.end();
    }
  }

  get running() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const mariadbd = findTool("mariadbd", "mysqld");
    if (!mariadbd) throw new DomainError("PRECONDITION", "mariadbd was not found on this machine: a verification by restore starts a throwaway MariaDB server. Install it (apt-get install mariadb-server) or verify by checking objects only.");
    const args = [
      "--no-defaults",
      `--datadir=${this.datadir}`,
      `--port=${this.port}`,
      `--socket=${this.socket}`,
      "--bind-address=127.0.0.1",
      `--server-id=${this.serverId}`,
      `--log-error=${this.errorLog}`,
      `--pid-file=${path.join(this.dir, "mysqld.pid")}`,
      // its own tmpdir: at start-up mariadbd deletes every "#sql*" file in its tmpdir as left over
      // from a crash, and with the default /tmp those are the live internal temporary tables of
      // every other server on the machine using /tmp (Debian's default), which then fail queries
      // or crash
      `--tmpdir=${this.tmpdir}`,
      "--skip-name-resolve",
      "--innodb-buffer-pool-size=128M",
      "--innodb-log-file-size=64M",
      "--max-allowed-packet=256M",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_general_ci",
      ...(process.getuid?.() === 0 ? ["--user=root"] : []),
      ...this.args,
    ];
    await fsp.mkdir(this.tmpdir, { recursive: true });
    const child = spawn(mariadbd, args, { stdio: ["ignore", "ignore", "pipe"], detached: false });
    this.child = child;
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d.toString()).length > 8192 && (stderr = stderr.slice(-8192)));
    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        const c = await mysql.createConnection({ socketPath: this.socket, user: "root", password: "", connectTimeout: 1000 });
        await c.end();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const log = await fsp.readFile(this.errorLog, "utf8").catch(() => "");
    await this.kill();
    throw new DomainError("UNAVAILABLE", `The throwaway mariadbd on port ${this.port} did not start (datadir ${this.datadir}):\n${(log || stderr).split("\n").slice(-15).join("\n")}`);
  }

  /** Clean shutdown (SIGTERM, waits for exit). */
  async stop(): Promise<void> {
    await this.signal("SIGTERM", 60_000);
    if (this.removeOnStop) await fsp.rm(this.dir, { recursive: true, force: true });
  }

  /** Abrupt death, like a crash or OOM kill. The datadir stays. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL", 10_000);
  }

  async restart(): Promise<void> {
    await this.signal("SIGTERM", 60_000);
    await this.start();
  }

  private async signal(sig: NodeJS.Signals, timeoutMs: number) {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(sig);
    await Promise.race([exited, new Promise((r) => setTimeout(r, timeoutMs))]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    this.child = null;
  }
}

/** A free TCP port on 127.0.0.1 (asks the kernel for one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

let templateReady: Promise<string> | undefined;

/** A pristine initialised datadir, created once per machine and server version, copied per sandbox. */
async function templateDatadir(): Promise<string> {
  templateReady ??= (async () => {
    const mariadbd = findTool("mariadbd", "mysqld");
    const installDb = findTool("mariadb-install-db", "mysql_install_db");
    if (!mariadbd || !installDb) throw new DomainError("PRECONDITION", "mariadb-install-db was not found on this machine: a throwaway MariaDB server needs it. Install mariadb-server (apt-get install mariadb-server).");
    const { stdout } = await execFileP(mariadbd, ["--version"]);
    const tag = crypto.createHash("sha1").update(stdout).digest("hex").slice(0, 10);
    const dir = path.join(os.tmpdir(), `dbbackup-sandbox-template-${tag}`);
    if (fs.existsSync(path.join(dir, ".ready"))) return dir;
    const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(3).toString("hex")}`;
    await fsp.mkdir(tmp, { recursive: true });
    // the bootstrap server cleans its tmpdir of "#sql*" files too: give it its own (see start())
    const bootstrapTmp = `${tmp}-tmpdir`;
    await fsp.mkdir(bootstrapTmp, { recursive: true });
    try {
      await execFileP(installDb, [
        "--no-defaults",
        `--datadir=${tmp}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        ...(process.getuid?.() === 0 ? ["--user=root"] : []),
        `--tmpdir=${bootstrapTmp}`,
      ]);
    } finally {
      await fsp.rm(bootstrapTmp, { recursive: true, force: true });
    }
    await fsp.writeFile(path.join(tmp, ".ready"), stdout);
    try {
      await fsp.rename(tmp, dir);
    } catch {
      // another process won the race; use theirs
      await fsp.rm(tmp, { recursive: true, force: true });
    }
    return dir;
  })();
  try {
    return await templateReady;
  } catch (e) {
    templateReady = undefined;
    throw e;
  }
}

/** Starts a throwaway server. Stop it with `stop()` (removes its directory unless told otherwise). */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const dir = opts.dir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), "dbbackup-sandbox-")));
  await fsp.mkdir(dir, { recursive: true });
  let datadir = opts.datadir;
  if (!datadir) {
    datadir = path.join(dir, "data");
    const template = await templateDatadir();
    await execFileP("cp", ["-a", template, datadir]);
    await fsp.rm(path.join(datadir, ".ready"), { force: true });
  }
  const binlog = opts.binlog ?? true;
  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const serverId = opts.serverId ?? 1000 + (port % 100000);
    const args = [...(binlog ? [`--log-bin=${path.join(datadir, "binlog")}`, "--binlog-format=ROW"] : []), ...(opts.args ?? [])];
    const sb = new Sandbox(dir, datadir, port, serverId, args, opts.removeOnStop ?? !opts.dir, opts.startTimeoutMs ?? 60_000);
    try {
      await sb.start();
      return sb;
    } catch (e) {
      // a port taken between choosing and binding: try another
      const log = await fsp.readFile(sb.errorLog, "utf8").catch(() => "");
      if (attempt < 3 && !opts.port && /Address already in use|Can't start server: Bind/.test(log)) continue;
      throw e;
    }
  }
}
