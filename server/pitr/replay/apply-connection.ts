import type mysql from "mysql2/promise";
import type { WorkContext } from "../../work-context";
import { DomainError, errorMessage } from "../../errors";
import { connectServer } from "../../mysql/connect";
import { describeAddress, type ServerAddress } from "../../mysql/connection-options";
import { coreOf, type CoreConnection } from "../../mysql/mysql2-internals";
import { runMultiStatement, type MultiOutcome } from "./multi-statement";
import { PROBED_VARIABLES } from "./session-context";

export type Collation = { name: string; charset: string };

/**
 * The dedicated connection replay applies through. Its session is set up once:
 *  - sql_log_bin=0 when the account may (SUPER or BINLOG ADMIN), unless asked to log: the replayed
 *    transactions are a copy of history that is already in the source's binlog, not new writes.
 *    Logged, they would get new GTIDs on the target and flow to its replicas and binlog consumers as
 *    if an application had written them (and conflict there when the target replicates from the
 *    source); not logging them also saves a binlog write per commit. The price: the target's
 *    replicas and its own archive do not get the restored data (log it when they should).
 *  - pseudo_slave_mode=1 (MariaDB, as mariadb-binlog does) so the session applies what a replica would.
 *  - autocommit=1, completion_type=0: transactions are delimited by explicit BEGIN/COMMIT only.
 */
export class ReplayConnection {
  readonly collations = new Map<number, Collation>();
  /** databases that exist on the target (a statement naming one of them could change it) */
  databases: string[] = [];
  binlogDisabled = false;
  canSetThreadId = false;
  initial: Record<string, string | null> = {};
  maxAllowedPacket = 16 << 20;
  version = "";
  flavor: "mariadb" | "mysql" = "mariadb";
  roundTrips = 0;
  private lost: Error | null = null;

  private constructor(
    readonly conn: mysql.Connection,
    private readonly core: CoreConnection,
    readonly where: string,
  ) {
    core.on("error", (e: Error) => {
      this.lost = e;
    });
  }

  static async open(ctx: WorkContext, target: ServerAddress, opts: { writeBinlog?: boolean } = {}): Promise<ReplayConnection> {
    const conn = await connectServer(target, { multipleStatements: true });
    const core = coreOf(conn);
    const rc = new ReplayConnection(conn, core, describeAddress(target));
    try {
      await rc.setup(ctx, opts.writeBinlog ?? false);
    } catch (e) {
      await rc.close();
      throw e;
    }
    return rc;
  }

  private async one(sql: string): Promise<string | null> {
    const [rows] = await this.conn.query({ sql, rowsAsArray: true });
    const v = (rows as unknown[][])[0]?.[0];
    return v === null || v === undefined ? null : Buffer.isBuffer(v) ? v.toString("utf8") : String(v);
  }

  private async setup(ctx: WorkContext, writeBinlog: boolean) {
    this.version = (await this.one("SELECT @@version")) ?? "";
    this.flavor = /mariadb/i.test(this.version) ? "mariadb" : "mysql";
    this.maxAllowedPacket = Number((await this.one("SELECT @@max_allowed_packet")) ?? this.maxAllowedPacket);
    try {
      if (!writeBinlog) {
        await this.conn.query("SET SESSION sql_log_bin = 0");
        this.binlogDisabled = true;
      }
    } catch (e) {
      ctx.log(
        "warn",
        `Replayed transactions will be written to the binary log of ${this.where} (SET sql_log_bin=0 was refused: ${errorMessage(e)}). They get new GTIDs there and reach its replicas; to avoid that, replay as an account with ${this.flavor === "mariadb" ? "BINLOG ADMIN (GRANT BINLOG ADMIN ON *.* TO ...)" : "SYSTEM_VARIABLES_ADMIN or SUPER"}.`,
      );
    }
    if (this.flavor === "mariadb") await this.conn.query("SET SESSION pseudo_slave_mode = 1").catch(() => undefined);
    try {
      await this.conn.query("SET @@session.pseudo_thread_id = CONNECTION_ID()");
      this.canSetThreadId = true;
    } catch {
      this.canSetThreadId = false;
    }
    await this.conn.query("SET @@session.autocommit = 1, @@session.completion_type = 0");
    for (const v of PROBED_VARIABLES) {
      this.initial[v] = await this.one(`SELECT @@session.${v}`).catch(() => null);
    }
    const [rows] = await this.conn.query({ sql: "SELECT ID, COLLATION_NAME, CHARACTER_SET_NAME FROM information_schema.COLLATIONS WHERE ID IS NOT NULL", rowsAsArray: true });
    for (const r of rows as unknown[][]) this.collations.set(Number(r[0]), { name: String(r[1]), charset: String(r[2]) });
    const [dbs] = await this.conn.query({ sql: "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA", rowsAsArray: true });
    this.databases = (dbs as unknown[][]).map((r) => String(r[0]));
    await this.conn.query("ROLLBACK");
  }

  charsetOf(id: number | undefined): string | undefined {
    return id === undefined ? undefined : this.collations.get(id)?.charset;
  }

  /** One round trip with these statements; see runMultiStatement. */
  async exec(statements: Buffer[]): Promise<MultiOutcome> {
    if (this.lost) return { completed: 0, error: this.lost, protocolError: true };
    this.roundTrips++;
    return runMultiStatement(this.core, statements);
  }

  /** A statement through the ordinary path (its result header: warnings after a ROLLBACK). */
  async query(sql: string): Promise<{ warningStatus: number }> {
    const [r] = await this.conn.query(sql);
    return { warningStatus: (r as { warningStatus?: number }).warningStatus ?? 0 };
  }

  async warnings(): Promise<string[]> {
    const [rows] = await this.conn.query("SHOW WARNINGS");
    return (rows as { Level: string; Code: number; Message: string }[]).map((w) => `${w.Level} ${w.Code}: ${w.Message}`);
  }

  /** Ends whatever transaction a failed batch left open, so nothing half-applied stays. */
  async rollbackQuietly(): Promise<void> {
    if (this.lost) return; // the server rolls back the open transaction of a dropped connection
    await this.conn.query("ROLLBACK").catch(() => undefined);
  }

  async close() {
    await this.conn.end().catch(() => this.conn.destroy());
  }

  /** An error a DBA can act on for a statement the server refused. */
  static explain(where: string, e: Error & { errno?: number; code?: string }, what: string): string {
    const msg = e.message;
    if (e.errno === 1227 || e.errno === 1044 || e.errno === 1045 || e.code === "ER_SPECIFIC_ACCESS_DENIED_ERROR") {
      return `${where} refused ${what}: ${msg}. Replaying row events needs the BINLOG REPLAY privilege on MariaDB (GRANT BINLOG REPLAY ON *.* TO ...) or SUPER, plus the privileges the statements themselves need.`;
    }
    return `${msg}`;
  }
}

export function connectionLost(where: string, e: Error): DomainError {
  return new DomainError("UNAVAILABLE", `The replay connection to ${where} was lost (${e.message}). The transaction in flight was rolled back by the server; the ones before it are applied.`, { retryable: false, cause: e });
}
