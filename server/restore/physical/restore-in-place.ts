import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { WorkContext } from "../../work-context";
import { DomainError, errorMessage } from "../../errors";
import { connectServer, queryRows } from "../../mysql/connect";
import { describeAddress, type ServerAddress } from "../../mysql/connection-options";
import { detectFlavor, isLocalAddress } from "../../mysql/introspect";
import type { RestoreOutcome, RestoreRequest, Restorer } from "../registry";
import { materializeBackup } from "./materialize";
import { fixOwnership } from "./ownership";
import { isPhysicalLayout } from "./physical-object";

const optionsSchema = z
  .object({
    /** the admin confirmed replacing the server's datadir (the caller checks the role) */
    inPlace: z.literal(true),
    /** how this server is started, e.g. "systemctl start mariadb" (run with sh -c) */
    startCommand: z.string().trim().min(1),
    /** the datadir to replace; default: the server's @@datadir */
    datadir: z.string().trim().min(1).optional(),
    stopTimeoutSeconds: z.coerce.number().positive().default(600),
    startTimeoutSeconds: z.coerce.number().positive().default(600),
  })
  .passthrough();

export type InPlaceOptions = z.infer<typeof optionsSchema>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stamp(d = new Date()) {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

async function exists(p: string) {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Waits until the server accepts connections again (or the deadline passes). */
async function waitForServer(a: ServerAddress, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    if (signal.aborted) throw signal.reason ?? new Error("cancelled");
    try {
      const c = await connectServer(a, { connectTimeout: 2000 });
      await c.end().catch(() => c.destroy());
      return;
    } catch (e) {
      last = e;
      await sleep(250);
    }
  }
  throw new DomainError("UNAVAILABLE", `${describeAddress(a)} did not accept connections within ${Math.round(timeoutMs / 1000)} s after the start command${last ? ` (last error: ${errorMessage(last)})` : ""}.`);
}

/** Runs the configured start command; it must exit 0 (servers are started detached by it). */
async function runStartCommand(cmd: string, timeoutMs: number): Promise<void> {
  const child = spawn("sh", ["-c", cmd], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-2000)));
  child.stderr!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-2000)));
  // "exit", not "close": a server the command started in the background may keep the pipes open
  const code = await new Promise<number | null>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new DomainError("UNAVAILABLE", `The start command did not return within ${Math.round(timeoutMs / 1000)} s: ${cmd}`));
    }, timeoutMs);
    child.once("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    child.once("exit", (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  child.stdout!.destroy();
  child.stderr!.destroy();
  child.unref();
  if (code !== 0) throw new DomainError("UNAVAILABLE", `The start command failed (exit ${code}): ${cmd}${out.trim() ? `: ${out.trim()}` : ""}`);
}

/** SHUTDOWN, then wait for the process to exit (its pid from @@pid_file) and the port to close. */
async function stopServer(ctx: WorkContext, a: ServerAddress, pidFile: string | null, timeoutMs: number): Promise<void> {
  const pid = pidFile ? Number((await fs.readFile(pidFile, "utf8").catch(() => "")).trim()) || null : null;
  const c = await connectServer(a);
  try {
    await c.query("SHUTDOWN");
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    if (errno === 1227 || errno === 1045) {
      throw new DomainError("PRECONDITION", `Stopping ${describeAddress(a)} needs the SHUTDOWN privilege: GRANT SHUTDOWN ON *.* TO '${a.user}'@'<host>'; (nothing was changed).`, { cause: e });
    }
    // the server may close the connection while shutting down: that is success
    if (!/PROTOCOL_CONNECTION_LOST|ECONNRESET|closed state/i.test(`${(e as { code?: string }).code} ${errorMessage(e)}`)) throw e;
  } finally {
    c.destroy();
  }
  ctx.log("info", `Shutdown requested on ${describeAddress(a)}; waiting for the server to exit${pid ? ` (pid ${pid})` : ""}.`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const gone = pid ? !alive(pid) : !(await exists(pidFile ?? "/nonexistent"));
    if (gone) return;
    await sleep(200);
  }
  throw new DomainError("UNAVAILABLE", `${describeAddress(a)} did not stop within ${Math.round(timeoutMs / 1000)} s of SHUTDOWN; nothing was replaced. Check its error log.`);
}

/**
 * Restores a physical backup over a managed server's own datadir, for admins who confirmed it
 * (the caller checks the role; options.inPlace must be true). The documented procedure:
 *
 *  1. checks: the server runs on this machine, same flavor and major version as the backup, the
 *     datadir can be renamed (not itself a mount point);
 *  2. the backup is extracted and prepared next to the datadir (`<datadir>.restore-<time>`) while
 *     the server still runs (so downtime is only stop + rename + start; the filesystem needs room
 *     for this second copy), and given the datadir's owner;
 *  3. SHUTDOWN, wait for the process to exit;
 *  4. the old datadir is moved aside to `<datadir>.before-restore-<time>` (never deleted) and the
 *     restored one is renamed into place;
 *  5. options.startCommand starts the server; it must accept connections within the timeout.
 *
 * If anything fails after the shutdown, the restored files are moved to
 * `<datadir>.failed-restore-<time>`, the old datadir is put back and started again, and the error
 * says so. Remove `<datadir>.before-restore-<time>` yourself once the restored server is verified.
 */
export const restorePhysicalInPlace: Restorer = async (ctx, req: RestoreRequest): Promise<RestoreOutcome> => {
  const t0 = Date.now();
  const m = req.reader.manifest;
  if (!isPhysicalLayout(m.layout)) throw new DomainError("PRECONDITION", `Layout ${m.layout} is not a physical backup.`);
  const parsed = optionsSchema.safeParse(req.options ?? {});
  if (!parsed.success) {
    throw new DomainError(
      "PRECONDITION",
      `Backup ${m.id} is a physical copy of a whole server (${m.engine}, ${m.layout}): restoring it replaces the target's datadir. ` +
        "That needs an admin's confirmation (inPlace: true) and the command that starts the server (startCommand, e.g. \"systemctl start mariadb\"). " +
        "To look at its data without touching a server, restore it into a sandbox instead.",
      { field: parsed.error.issues[0]?.path.join(".") },
    );
  }
  const o = parsed.data;
  if (Object.entries(req.rename ?? {}).some(([k, v]) => k !== v)) throw new DomainError("INVALID", "A physical restore brings back the whole server: databases cannot be renamed.", { field: "rename" });
  const all = m.databases.map((d) => d.name);
  if (req.databases?.length && all.some((d) => !req.databases!.includes(d))) {
    throw new DomainError("INVALID", `A physical restore brings back every database of the backup (${all.join(", ")}); choose all of them or use a logical backup.`, { field: "databases" });
  }
  if (!isLocalAddress(req.target)) {
    throw new DomainError("PRECONDITION", `${describeAddress(req.target)} is not on this machine: a physical restore replaces the datadir on disk, so the runner must run on the database host.`);
  }

  // 1. what is running, and can it be replaced
  const c = await connectServer(req.target);
  let vars: { datadir: string; pid_file: string | null; version: string; comment: string };
  try {
    [vars] = await queryRows<typeof vars>(c, "SELECT @@datadir AS datadir, @@pid_file AS pid_file, @@version AS version, @@version_comment AS comment");
  } finally {
    await c.end().catch(() => c.destroy());
  }
  const flavor = detectFlavor(vars.version, vars.comment);
  const series = (v: string) => v.split(".").slice(0, 2).join(".");
  if (flavor !== m.server.flavor || series(vars.version) !== series(m.server.version)) {
    throw new DomainError("PRECONDITION", `The backup is ${m.server.flavor} ${m.server.version} but ${describeAddress(req.target)} runs ${flavor} ${vars.version}: physical files need the same flavor and major version. Restore into a matching server or use a logical backup.`);
  }
  const datadir = path.resolve(o.datadir ?? vars.datadir).replace(/\/+$/, "");
  const pidFile = vars.pid_file ? path.resolve(datadir, vars.pid_file) : null;
  const [dst, parent] = await Promise.all([fs.stat(datadir), fs.stat(path.dirname(datadir))]);
  if (dst.dev !== parent.dev) {
    throw new DomainError(
      "PRECONDITION",
      `${datadir} is a mount point, so it cannot be moved aside. Point the server at a datadir one level below the mount (e.g. ${datadir}/data), or restore into a sandbox.`,
    );
  }
  const ts = stamp();
  const staging = `${datadir}.restore-${ts}`;
  const aside = `${datadir}.before-restore-${ts}`;
  const failedDir = `${datadir}.failed-restore-${ts}`;

  // 2. stage the restored datadir next to the old one, while the server still runs
  ctx.log("info", `Restoring ${m.id} (${m.engine}) into ${staging}, then replacing ${datadir}; the old datadir will be kept as ${aside}.`);
  let restored;
  try {
    restored = await materializeBackup(ctx, req.reader, staging);
    await fixOwnership(staging, { uid: dst.uid, gid: dst.gid });
    await fs.chmod(staging, dst.mode & 0o7777);
  } catch (e) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }

  // 3-5. stop, swap, start; from here on a failure puts the old datadir back
  let step = "stopping the server";
  let swapped = false;
  try {
    ctx.progress({ phase: "stopping server", detail: describeAddress(req.target) });
    try {
      await stopServer(ctx, req.target, pidFile, o.stopTimeoutSeconds * 1000);
    } catch (e) {
      await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    step = "moving the datadirs";
    ctx.progress({ phase: "replacing datadir" });
    await fs.rename(datadir, aside);
    await fs.rename(staging, datadir);
    swapped = true;
    step = "starting the server";
    ctx.progress({ phase: "starting server", detail: o.startCommand });
    await runStartCommand(o.startCommand, o.startTimeoutSeconds * 1000);
    await waitForServer(req.target, o.startTimeoutSeconds * 1000, ctx.signal);
  } catch (e) {
    if (step === "stopping the server") throw e; // nothing was replaced
    throw await rollBack(ctx, { req, o, datadir, aside, staging, failedDir, pidFile, swapped, step, cause: e });
  }
  ctx.log("info", `${describeAddress(req.target)} is up on the restored datadir. The previous datadir is kept in ${aside}: remove it once the restore is verified.`);
  const tables = m.databases.reduce((s, d) => s + d.tables.length, 0);
  return {
    databases: all,
    tables,
    rows: 0,
    bytes: restored.bytes,
    ms: Date.now() - t0,
    details: { datadir, previousDatadir: aside, extractMs: restored.extractMs, prepareMs: restored.prepareMs, rowCounts: "not counted (physical restore)" },
  };
};

async function rollBack(
  ctx: WorkContext,
  s: { req: RestoreRequest; o: InPlaceOptions; datadir: string; aside: string; staging: string; failedDir: string; pidFile: string | null; swapped: boolean; step: string; cause: unknown },
): Promise<DomainError> {
  const why = `The restore failed while ${s.step}: ${errorMessage(s.cause)}`;
  ctx.log("error", `${why}. Putting the previous datadir back.`);
  try {
    // a server that half-started on the restored files must be down before its datadir moves
    if (s.swapped) {
      await stopServer(ctx, s.req.target, s.pidFile, s.o.stopTimeoutSeconds * 1000).catch(async () => {
        const pid = s.pidFile ? Number((await fs.readFile(s.pidFile, "utf8").catch(() => "")).trim()) : 0;
        if (pid && alive(pid)) throw new DomainError("UNAVAILABLE", `a server (pid ${pid}) is still running on the restored datadir`);
      });
      await fs.rename(s.datadir, s.failedDir);
    } else if (await exists(s.staging)) {
      await fs.rename(s.staging, s.failedDir);
    }
    if (!(await exists(s.datadir)) && (await exists(s.aside))) await fs.rename(s.aside, s.datadir);
    await runStartCommand(s.o.startCommand, s.o.startTimeoutSeconds * 1000);
    await waitForServer(s.req.target, s.o.startTimeoutSeconds * 1000, new AbortController().signal);
  } catch (e2) {
    return new DomainError(
      "INTERNAL",
      `${why}. Putting the previous datadir back ALSO failed: ${errorMessage(e2)}. The previous datadir is ${(await exists(s.aside)) ? s.aside : s.datadir}; ` +
        `the restored files are in ${(await exists(s.failedDir)) ? s.failedDir : s.datadir}. Move the previous datadir back to ${s.datadir} and start the server by hand (${s.o.startCommand}).`,
      { cause: s.cause },
    );
  }
  return new DomainError(
    "UNAVAILABLE",
    `${why}. The previous datadir was put back at ${s.datadir} and the server is running on it again; the restored files are kept in ${s.failedDir} for inspection (remove it when done).`,
    { cause: s.cause },
  );
}
