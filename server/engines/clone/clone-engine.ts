import fs from "node:fs/promises";
import path from "node:path";
import { DomainError, errorMessage } from "../../errors";
import { physicalInventory } from "../snapshot/inventory";
import { DATADIR_TAR } from "../snapshot/snapshot-engine";
import { packDirectory } from "../snapshot/tar-directory";
import type { BackupEngine, BackupOutcome, BackupRequest } from "../types";
import type { WorkContext } from "../../work-context";
import { cloneAvailability } from "./availability";
import { explainCloneError } from "./clone-errors";
import { parseCloneOptions } from "./clone-options";
import { checkCloneServer, checkVersionsMatch, grantStatement, NON_INNODB_SQL } from "./clone-prerequisites";
import { pollCloneProgress } from "./clone-progress";
import { mysqlSessions, type SessionFactory, type SqlSession } from "./sql-session";

export const CLONE_LOCAL_SQL = "CLONE LOCAL DATA DIRECTORY = ?";
export const CLONE_REMOTE_SQL = "CLONE INSTANCE FROM ?@?:? IDENTIFIED BY ? DATA DIRECTORY = ?";
export const CLONE_STATUS_SQL = "SELECT STATE, ERROR_NO, ERROR_MESSAGE, BINLOG_FILE, BINLOG_POSITION, GTID_EXECUTED FROM performance_schema.clone_status";
export const DONOR_LIST_SQL = "SELECT @@GLOBAL.clone_valid_donor_list AS v";
export const SET_DONOR_LIST_SQL = "SET GLOBAL clone_valid_donor_list = ?";

async function exists(p: string) {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/**
 * MySQL 8.0.17+ clone plugin: CLONE LOCAL DATA DIRECTORY on the server itself, or CLONE INSTANCE
 * FROM the donor executed on a recipient MySQL on this machine (remote clone, the seed's
 * --clone-remote). Progress comes live from performance_schema.clone_progress; binlog coordinates
 * from clone_status. The cloned directory is archived as tar into the backup set and removed.
 * Commits are never blocked (lockMs 0); DDL is blocked on the donor only before 8.0.27.
 */
export function createCloneEngine(deps: { sessions?: SessionFactory } = {}): BackupEngine {
  const sessions = deps.sessions ?? mysqlSessions;
  return {
    name: "clone",
    layout: "tar",
    description: "MySQL 8.0.17+ clone plugin (local or from a remote donor), progress from performance_schema, archived as tar",
    availability: cloneAvailability,
    backup: (ctx, req) => cloneBackup(ctx, req, sessions),
  };
}

async function cloneBackup(ctx: WorkContext, req: BackupRequest, sessions: SessionFactory): Promise<BackupOutcome> {
  const o = parseCloneOptions(req.options);
  const f = req.facts;
  if (f.flavor === "mariadb") throw new DomainError("PRECONDITION", `${req.hostName} is MariaDB, which has no clone plugin: use the mariabackup, snapshot or logical engine.`);
  if (!o.remote && !f.isLocal) {
    throw new DomainError("PRECONDITION", `${req.hostName} runs on another machine: a local clone is written by that server into its own filesystem. Use a remote clone into a recipient MySQL on this machine (cloneRemote, recipient).`);
  }
  const startedAt = new Date();
  const open: SqlSession[] = [];
  const session = async (...a: Parameters<SessionFactory>) => {
    const s = await sessions(...a);
    open.push(s);
    return s;
  };
  let dir: string | null = null;
  let cloneStarted = false;
  let recipient: SqlSession | null = null;
  let previousDonorList: string | null = null;
  try {
    ctx.progress({ phase: "checking clone prerequisites" });
    const source = await session(req.server, "source");
    const donorInfo = await checkCloneServer(source, { name: req.hostName, privilege: "BACKUP_ADMIN", role: o.remote ? "donor" : "source" });
    const nonInnodb = await source.rows<{ s: string; t: string; e: string }>(NON_INNODB_SQL);
    if (nonInnodb.length) {
      const list = nonInnodb.slice(0, 10).map((r) => `${r.s}.${r.t} (${r.e})`).join(", ");
      const text = `The clone plugin copies InnoDB only: ${nonInnodb.length} table(s) would come back empty: ${list}${nonInnodb.length > 10 ? ", ..." : ""}.`;
      if (!o.allowNonInnodb) throw new DomainError("PRECONDITION", `${text} Convert them (ALTER TABLE ... ENGINE=InnoDB), use another engine, or set allowNonInnodb to accept empty copies.`);
      ctx.log("warn", text);
    }
    const databases = await physicalInventory(source);

    let runner = source;
    let monitorAddress = req.server;
    let where = req.hostName;
    const donorHost = o.remote?.donorHost ?? req.server.host ?? "127.0.0.1";
    const donorPort = o.remote?.donorPort ?? req.server.port ?? 3306;
    const donor = `${donorHost}:${donorPort}`;
    let baseDir = path.dirname(path.resolve(o.datadir ?? f.datadir ?? donorInfo.datadir));
    if (o.remote) {
      recipient = await session(o.remote.recipient, "recipient");
      where = `recipient ${o.remote.recipient.host ?? o.remote.recipient.socket ?? "localhost"}:${o.remote.recipient.port ?? 3306}`;
      const r = await checkCloneServer(recipient, { name: where, privilege: "CLONE_ADMIN", role: "recipient" });
      checkVersionsMatch(donorInfo, r, { donor: req.hostName, recipient: where });
      baseDir = path.dirname(path.resolve(r.datadir));
      const [cur] = await recipient.rows<{ v: string | null }>(DONOR_LIST_SQL);
      const list = (cur?.v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      if (!list.includes(donor)) {
        previousDonorList = cur?.v ?? "";
        await recipient.rows(SET_DONOR_LIST_SQL, [[...list, donor].join(",")]);
      }
      runner = recipient;
      monitorAddress = o.remote.recipient;
    }
    dir = path.resolve(/* turbopackIgnore: true */ o.cloneDir ?? path.join(baseDir, `dbbackup-clone-${req.backupId}`));
    if (await exists(dir)) throw new DomainError("PRECONDITION", `The clone directory ${dir} already exists; remove it or choose another cloneDir.`);

    const [{ id }] = await runner.rows<{ id: number | string }>("SELECT CONNECTION_ID() AS id");
    const monitor = await session(monitorAddress, "monitor");
    const poll = pollCloneProgress(ctx, monitor, o.pollIntervalMs);
    const onAbort = () => void monitor.rows(`KILL QUERY ${Number(id)}`).catch(() => undefined);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    const t0 = Date.now();
    ctx.progress({ phase: "clone: starting", detail: o.remote ? `from ${donor} into ${dir}` : `into ${dir}` });
    ctx.log("info", o.remote ? `Cloning ${req.hostName} (${donor}) on ${where} into ${dir}.` : `Cloning ${req.hostName} locally into ${dir}.`);
    cloneStarted = true;
    try {
      if (o.remote) {
        const user = o.remote.donorUser ?? req.server.user;
        const password = o.remote.donorPassword ?? req.server.password ?? "";
        await runner.rows(CLONE_REMOTE_SQL, [user, donorHost, donorPort, password, dir]);
      } else {
        await runner.rows(CLONE_LOCAL_SQL, [dir]);
      }
    } catch (e) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new DomainError("INTERNAL", "cancelled");
      throw explainCloneError(e, {
        where,
        donor,
        dir,
        grantBackupAdmin: grantStatement("BACKUP_ADMIN", donorInfo),
        grantCloneAdmin: grantStatement("CLONE_ADMIN", { user: o.remote?.recipient.user ?? donorInfo.user, host: "localhost" }),
      });
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      await poll.stop();
    }
    const cloneMs = Date.now() - t0;
    const [st] = await runner.rows<{ STATE: string; ERROR_NO: number | string; ERROR_MESSAGE: string; BINLOG_FILE: string | null; BINLOG_POSITION: number | string | null; GTID_EXECUTED: string | null }>(CLONE_STATUS_SQL);
    if (!st || st.STATE !== "Completed") {
      throw new DomainError("UNAVAILABLE", `The clone on ${where} did not complete (state ${st?.STATE ?? "unknown"}${st?.ERROR_NO ? `, error ${st.ERROR_NO}: ${st.ERROR_MESSAGE}` : ""}).`, { retryable: true });
    }
    const coordinates = st.BINLOG_FILE ? { file: st.BINLOG_FILE, position: Number(st.BINLOG_POSITION ?? 0), gtid: (st.GTID_EXECUTED ?? "").replace(/\s+/g, "") || null } : null;
    ctx.log("info", `Clone completed in ${Math.round(cloneMs / 100) / 10} s${coordinates ? ` at ${coordinates.file}:${coordinates.position}` : ""}; archiving ${dir}.`);

    let done = 0;
    const obj = req.set.object(`${DATADIR_TAR}${req.set.extension}`, { role: "physical" }, { threads: Math.max(1, req.parallel) });
    const [packed] = await Promise.all([
      packDirectory(dir, obj.input, {
        signal: ctx.signal,
        onTotal: (bytes) => ctx.progress({ phase: "archiving clone", bytesDone: 0, bytesTotal: bytes, detail: dir! }),
        onBytes: (n) => ctx.progress({ bytesDone: (done += n) }),
      }).catch((e) => {
        if ((e as NodeJS.ErrnoException).code === "EACCES") {
          throw new DomainError("PRECONDITION", `Cannot read the clone in ${dir}: its files belong to the server's account. Run the dbbackup runner as root or as that account.`, { cause: e });
        }
        throw e;
      }),
      obj.done,
    ]);
    return {
      engine: "clone",
      layout: "tar",
      server: { version: f.version, flavor: f.flavor, serverId: f.serverId, hostname: f.hostname },
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      lockMs: 0,
      coordinates,
      databases,
      details: {
        clone: o.remote ? { mode: "remote", donor, recipient: where } : { mode: "local" },
        cloneMs,
        cloneDir: dir,
        archive: { object: obj.entry.path, files: packed.files, directories: packed.directories, bytes: packed.bytes, root: "datadir" },
        lockNote: "the clone plugin does not block commits; before MySQL 8.0.27 it blocks DDL on the donor while it runs",
        rowCounts: "estimated",
      },
    };
  } finally {
    if (dir && cloneStarted) {
      await fs.rm(dir, { recursive: true, force: true }).catch((e) => ctx.log("error", `Could not remove the clone directory ${dir}: ${errorMessage(e)}. Remove it by hand: rm -rf ${dir}`));
    }
    if (recipient && previousDonorList !== null) {
      await recipient.rows(SET_DONOR_LIST_SQL, [previousDonorList]).catch((e) => ctx.log("warn", `Could not restore clone_valid_donor_list on the recipient: ${errorMessage(e)}.`));
    }
    for (const s of open.reverse()) await s.close().catch(() => undefined);
  }
}
