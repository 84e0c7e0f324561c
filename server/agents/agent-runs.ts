import type { Agent, Backup, Run } from "../db/generated/client";
import type { CreatedDatabases, RestoreTargetHost } from "../restore/restore-into-host";
import { restoreTargetOf } from "../restore/restore-into-host";
import type { RestoreParams } from "../restore/restore-run";
import { planPitrRun, type PitrJob, type PitrParams } from "../pitr/pitr-run";
import { describeTarget, parseTarget } from "../pitr/plan";
import { planSourceSpecs, type SourceSpec } from "../pitr/replay/catalog-sources";
import { manifestSchema, type Manifest } from "../artifact/manifest";
import { recordAudit } from "../audit/record";
import { backupBase, recordBackup } from "../backups/backup-run";
import type { StartBackupInput } from "../backups/schemas";
import type { ChainBase } from "../artifact/chain";
import type { WorkContext } from "../work-context";
import { loadEncryptionKey } from "../backup-keys/manage-keys";
import { db, parseJson } from "../db/client";
import { DomainError, errorMessage, notFound } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { logger } from "../logging/logger";
import type { ServerAddress } from "../mysql/connection-options";
import type { ServerFacts } from "../mysql/server-facts";
import { agentLeaseOwner } from "../runner/dispatch";
import { appendRunLog } from "../runner/run-log";
import { runKind } from "../runner/run-kinds";
import { emitIfFinal, finishWithRetry } from "../runner/runner";
import { enqueueRun } from "../runner/enqueue-run";
import { removePrefixOrDefer } from "../storage/cleanup";
import { loadTarget, targetSpec, type TargetSpec } from "../storage/open-store";
import { newId } from "../util/ids";
import type { AgentFacts } from "./manage-agents";
import { sealForAgent, type SealedPayload } from "./payload-seal";
import { claimArchiveRun, finishArchiveRun } from "./archive-on-agent";
import { pendingCleanupsFor } from "./agent-cleanups";
import { hashAgentToken } from "./tokens";
import type { Check } from "../verify/checks";
import { logChecks, recordRestoreVerification, resolveBackup, verificationFailed, type VerifyParams } from "../verify/verify-run";
import type { VerifyResult } from "../verify/verify-set";

// What a runner agent may do, each call checked against its token, its bound hosts and the run's
// fenced lease. The agent never opens the catalog: everything it learns comes from here, and
// everything it reports goes through here, so the server stays the catalog's only writer.

export const agentLeaseMs = () => Number(process.env.DBBACKUP_RUNNER_LEASE_MS || 30_000);
export const AGENT_HEARTBEAT_MS = () => Number(process.env.DBBACKUP_AGENT_HEARTBEAT_MS || 5000);

/** The run kinds an agent executes; others stay with the embedded runner. */
export const AGENT_RUN_KINDS = ["backup", "verify", "restore", "pitr", "binlog"] as const;

/**
 * Whether an agent executes this run (when the host it executes against is bound to one): every
 * backup, every restore and point-in-time restore (logical into the host, or in place of its
 * datadir), and a sandbox verification of a named backup or of a policy's newest one (its scheduled
 * "latest" verification; the point-in-time drill that follows it is a run of its own). A drill and
 * a verification into a verification host stay embedded.
 */
export function agentExecutes(run: Pick<Run, "kind" | "params">): boolean {
  if (run.kind === "backup" || run.kind === "restore" || run.kind === "pitr" || run.kind === "binlog") return true;
  if (run.kind !== "verify") return false;
  const p = parseJson<VerifyParams>(run.params, {});
  if (p.verificationHostId) return false;
  return p.mode === "latest" ? !!p.policyId : !!p.backupId && !p.mode;
}

/**
 * The host a run executes against, whose agent (if any) executes it: the backed-up or verified
 * host, and for a restore the TARGET host (a restore of host A's backup into host B goes to B's
 * agent, whatever A's is).
 */
export function executingHostId(run: Pick<Run, "kind" | "params" | "hostId">): string | null {
  if (run.kind === "restore" || run.kind === "pitr") return parseJson<{ targetHostId?: string }>(run.params, {}).targetHostId ?? run.hostId;
  return run.hostId;
}

/** One link of a backup's chain as a claim seals it: location and hex key (null when not encrypted). */
export type JobLink = { id: string; location: string; encryptionKey: string | null };

/** The sealed part of a verify claim: where the set and its chain are, their keys, and what to check. */
export type VerifyJobPayload = {
  kind: "verify";
  host: { id: string; name: string };
  target: TargetSpec;
  backupId: string;
  manifestSha256: string | null;
  objectsOnly: boolean;
  /** the backup first, then every earlier link of its chain */
  links: JobLink[];
};

/** The sealed part of a restore claim: the set and its chain with their keys, the target host with its password, the restore's params. */
export type RestoreJobPayload = {
  kind: "restore";
  /** the host restored into (this agent's) */
  host: RestoreTargetHost;
  target: TargetSpec;
  backupId: string;
  links: JobLink[];
  params: RestoreParams;
};

/**
 * The sealed part of a point-in-time restore claim: the plan the server made from the catalog (base
 * backup, databases, coordinates), the base's set and chain with their keys, and the binlog files
 * to replay with their segments and storage targets. The target host is this agent's.
 */
export type PitrJobPayload = {
  kind: "pitr";
  host: RestoreTargetHost;
  target: TargetSpec;
  backupId: string;
  links: JobLink[];
  params: PitrParams;
  job: PitrJob;
  sources: SourceSpec[];
  /** the storage targets the binlog files were shipped to, by id */
  stores: Record<string, TargetSpec>;
};

/** A backup and every earlier link of its chain (the catalog's parent pointers), keys unsealed. */
async function chainLinks(backup: Pick<Backup, "id" | "location" | "encryptionKeyId" | "parentBackupId">): Promise<JobLink[]> {
  const links: JobLink[] = [];
  for (let b: typeof backup | null = backup; b && links.length < 1000; ) {
    links.push({ id: b.id, location: b.location, encryptionKey: b.encryptionKeyId ? (await loadEncryptionKey(b.encryptionKeyId)).toString("hex") : null });
    b = b.parentBackupId ? await db().backup.findUnique({ where: { id: b.parentBackupId } }) : null;
  }
  return links;
}

/** What a job on an agent's queue names (no secrets: Redis is not where they travel). */
export type AgentJobData = { runId: string; attempt: number };

/** The sealed part of a claim: everything the agent needs to execute a backup, secrets included. */
export type BackupJobPayload = {
  kind: "backup";
  host: { id: string; name: string; address: ServerAddress; datadir: string | null };
  target: TargetSpec;
  params: StartBackupInput;
  backupId: string;
  prefix: string;
  /** hex of the client-side encryption key, when the backup is encrypted */
  encryptionKey: string | null;
  /** the engine to ask for ("auto" means mariabackup for a delta) and, for a delta, its base from the catalog */
  engine?: string;
  base?: ChainBase | null;
};

export type ClaimResponse = { runId: string; kind: string; attempt: number; maxAttempts: number; fence: number; sealed: SealedPayload };

/** agentId: the objects are written by that agent (a local path there only it can clean) */
type Workspace = { targetId: string; prefix: string; backupId: string; fence: number; agentId?: string };

/** A stale fence: the run was claimed again (or recovered) after this agent took it. HTTP 409. */
export function staleFence(runId: string, fence: number) {
  return new DomainError("CONFLICT", `Run ${runId} is no longer held with fence ${fence}: another claim or a recovery took it over. Stop the work and remove what it wrote.`);
}

/** The agent behind a bearer token; refuses unknown and revoked tokens. */
export async function authenticateAgent(token: string | null): Promise<Agent> {
  if (!token) throw new DomainError("UNAUTHORIZED", "Send the agent token as Authorization: Bearer <token> (created under Agents in the dashboard).");
  const agent = await db().agent.findUnique({ where: { tokenHash: hashAgentToken(token) } });
  if (!agent) throw new DomainError("UNAUTHORIZED", "This agent token is unknown: create one under Agents in the dashboard.");
  if (agent.revokedAt) throw new DomainError("FORBIDDEN", `The token of agent ${agent.name} was revoked on ${agent.revokedAt.toISOString()}; ask an admin for a new one.`);
  return agent;
}

/** Register (at start) and heartbeat (every few seconds): facts in, the agent's queue out. */
export async function agentHeartbeat(agent: Agent, report: { hostname?: string; version?: string; facts?: AgentFacts; register?: boolean }) {
  const now = new Date();
  const wasNotified = agent.offlineNotifiedAt;
  await db().agent.update({
    where: { id: agent.id },
    data: {
      lastHeartbeatAt: now,
      offlineNotifiedAt: null,
      ...(report.hostname !== undefined ? { hostname: report.hostname.slice(0, 255) } : {}),
      ...(report.version !== undefined ? { version: report.version.slice(0, 64) } : {}),
      ...(report.facts ? { facts: JSON.stringify(report.facts) } : {}),
      ...(report.register ? { registeredAt: now } : {}),
    },
  });
  if (report.register) await recordAudit({ system: `agent:${agent.name}` }, "agent.register", { type: "agent", id: agent.id }, { hostname: report.hostname, version: report.version });
  if (wasNotified) logger.info({ agent: agent.name }, "agent is back online");
  const hosts = await db().host.findMany({ where: { agentId: agent.id }, select: { id: true, name: true }, orderBy: { name: "asc" } });
  return { agentId: agent.id, name: agent.name, queue: agentQueueName(agent.id), redisUrl: process.env.DBBACKUP_AGENT_REDIS_URL || process.env.DBBACKUP_REDIS_URL || null, heartbeatMs: AGENT_HEARTBEAT_MS(), leaseMs: agentLeaseMs(), hosts, cleanups: await pendingCleanupsFor(agent.id) };
}

export const agentQueueName = (agentId: string) => `dbbackup-agent-${agentId}`;

export async function runForAgent(agent: Agent, runId: string): Promise<Run> {
  const run = await db().run.findUnique({ where: { id: runId } });
  if (!run) throw notFound("Run", runId);
  // the host the run executes against: for a restore its target, not the backup's source
  const hostId = executingHostId(run);
  const host = hostId ? await db().host.findUnique({ where: { id: hostId }, select: { name: true, agentId: true } }) : null;
  if (!host || host.agentId !== agent.id) {
    throw new DomainError("FORBIDDEN", `Run ${runId} is for ${host ? `host ${host.name}` : "no host"}, which is not bound to agent ${agent.name}: an agent takes the runs of its own hosts only.`);
  }
  return run;
}

/**
 * Claims a dispatched run: a new fence (every earlier holder is locked out), a fresh backup id and
 * prefix, and the payload sealed for the key the agent sent. A second claim of the same attempt
 * (the queue handed a stalled job to another worker) is allowed and removes the first one's objects.
 */
export async function claimRun(agent: Agent, runId: string, o: { attempt: number; publicKey: string }): Promise<ClaimResponse> {
  const run = await runForAgent(agent, runId);
  if (!agentExecutes(run)) throw new DomainError("PRECONDITION", `Run ${runId} is a ${run.kind} run that the dashboard executes; agents execute backups, restores, point-in-time restores, binlog archives and sandbox verifications.`);
  if (run.kind === "verify") return claimVerifyRun(agent, run, o);
  if (run.kind === "restore") return claimRestoreRun(agent, run, o);
  if (run.kind === "pitr") return claimPitrRun(agent, run, o);
  if (run.kind === "binlog") return claimArchiveRun(agent, run, o);
  const owner = agentLeaseOwner(agent.id);
  const backupId = newId("b");
  const host = (await db().host.findUnique({ where: { id: run.hostId! } }))!;
  const params = parseJson<StartBackupInput>(run.params, {} as StartBackupInput);
  const prefix = `${host.name}/${backupId}/`;
  const claimed = await db().$transaction(async (tx) => {
    const r = await tx.run.updateMany({
      where: { id: run.id, state: "running", leaseOwner: owner, attempt: o.attempt },
      data: { fence: { increment: 1 }, leaseExpiresAt: new Date(Date.now() + agentLeaseMs()) },
    });
    if (r.count !== 1) return null;
    const fresh = (await tx.run.findUnique({ where: { id: run.id } }))!;
    const ws: Workspace = { targetId: params.targetId, prefix, backupId, fence: fresh.fence, agentId: agent.id };
    await tx.run.update({ where: { id: run.id }, data: { result: JSON.stringify({ workspace: ws }) } });
    return { fresh, previous: parseJson<{ workspace?: Workspace }>(run.result, {}).workspace };
  });
  if (!claimed) {
    throw new DomainError("CONFLICT", `Run ${runId} attempt ${o.attempt} is not waiting for agent ${agent.name} any more (it is ${run.state}${run.attempt !== o.attempt ? `, attempt ${run.attempt}` : ""}); drop this job.`);
  }
  const { fresh, previous } = claimed;
  if (previous?.prefix && previous.prefix !== prefix) {
    // the earlier holder is a zombie now: its objects go (it also removes its own when refused)
    await removePrefixOrDefer(previous.targetId, previous.prefix, `objects of run ${run.id} written under fence ${previous.fence}`, { agentId: previous.agentId, runId: run.id }).catch(() => false);
    await appendRunLog(run.id, "warn", `Taken over with fence ${fresh.fence}: the objects written under fence ${previous.fence} (${previous.prefix}) were removed.`);
  }
  await appendRunLog(run.id, "info", `Started (attempt ${fresh.attempt} of ${fresh.maxAttempts}) on agent ${agent.name} (${agent.hostname || "host unknown"}), fence ${fresh.fence}.`);
  const target = await loadTarget(params.targetId);
  // an incremental's base comes from the catalog, which only the server reads
  const runCtx: WorkContext = { signal: new AbortController().signal, progress: () => undefined, log: (level, message) => void appendRunLog(run.id, level, message) };
  let chosen: Awaited<ReturnType<typeof backupBase>>;
  try {
    chosen = await backupBase(runCtx, { policyId: run.policyId, hostId: host.id, targetId: params.targetId, params });
  } catch (e) {
    // the named base is gone or damaged: the run fails (or retries) as it would embedded
    await appendRunLog(run.id, "error", errorMessage(e));
    await finishWithRetry(fresh, errorMessage(e), e instanceof DomainError && !!e.retryable);
    await emitIfFinal(run.id);
    throw e;
  }
  const { engine, base } = chosen;
  const payload: BackupJobPayload = {
    kind: "backup",
    host: { id: host.id, name: host.name, address: hostAddress(host), datadir: host.datadir },
    target: targetSpec(target),
    params,
    backupId,
    prefix,
    encryptionKey: params.encryptionKeyId ? (await loadEncryptionKey(params.encryptionKeyId)).toString("hex") : null,
    engine,
    base,
  };
  return { runId: run.id, kind: run.kind, attempt: fresh.attempt, maxAttempts: fresh.maxAttempts, fence: fresh.fence, sealed: sealForAgent(payload, o.publicKey, agent.tokenHash, payloadContext(run.id, fresh.fence)) };
}

/** Fences a held run again (a new claim): null when the attempt is not waiting for this agent. */
export async function takeFence(agent: Agent, run: Run, attempt: number) {
  const r = await db().run.updateMany({
    where: { id: run.id, state: "running", leaseOwner: agentLeaseOwner(agent.id), attempt },
    data: { fence: { increment: 1 }, leaseExpiresAt: new Date(Date.now() + agentLeaseMs()) },
  });
  if (r.count !== 1) throw new DomainError("CONFLICT", `Run ${run.id} attempt ${attempt} is not waiting for agent ${agent.name} any more (it is ${run.state}${run.attempt !== attempt ? `, attempt ${run.attempt}` : ""}); drop this job.`);
  return (await db().run.findUnique({ where: { id: run.id } }))!;
}

/**
 * A verification on the agent: the backup's location, its chain's and their keys, sealed. The agent
 * writes nothing to the target (its sandbox is its own temporary directory), so a new claim has
 * nothing of the old one's to remove.
 */
async function claimVerifyRun(agent: Agent, run: Run, o: { attempt: number; publicKey: string }): Promise<ClaimResponse> {
  const p = parseJson<VerifyParams>(run.params, {});
  const backup = await resolveBackup(p);
  const fresh = await takeFence(agent, run, o.attempt);
  if ((!backup || backup.state !== "complete") && !p.backupId) {
    // a policy's scheduled verification before its first backup: nothing to do, as embedded
    await db().run.updateMany({ where: { id: run.id, fence: fresh.fence, state: "running" }, data: { state: "succeeded", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null, result: JSON.stringify({ skipped: "no backup yet" }) } });
    await appendRunLog(run.id, "warn", "The policy has no backup to verify yet.");
    await emitIfFinal(run.id);
    throw new DomainError("PRECONDITION", "The policy has no backup to verify yet; nothing to run.");
  }
  if (!backup || backup.state !== "complete") {
    const message = `Backup ${p.backupId} no longer exists.`;
    await appendRunLog(run.id, "error", message);
    await finishWithRetry(fresh, message, false);
    await emitIfFinal(run.id);
    throw new DomainError("NOT_FOUND", message);
  }
  await db().run.update({ where: { id: run.id }, data: { backupId: backup.id } });
  const links = await chainLinks(backup);
  const host = (await db().host.findUnique({ where: { id: run.hostId! } }))!;
  const payload: VerifyJobPayload = { kind: "verify", host: { id: host.id, name: host.name }, target: targetSpec(await loadTarget(backup.targetId)), backupId: backup.id, manifestSha256: backup.manifestSha256, objectsOnly: !!p.objectsOnly, links };
  await appendRunLog(run.id, "info", `Started (attempt ${fresh.attempt} of ${fresh.maxAttempts}) on agent ${agent.name} (${agent.hostname || "host unknown"}), fence ${fresh.fence}: verifying backup ${backup.id}.`);
  return { runId: run.id, kind: run.kind, attempt: fresh.attempt, maxAttempts: fresh.maxAttempts, fence: fresh.fence, sealed: sealForAgent(payload, o.publicKey, agent.tokenHash, payloadContext(run.id, fresh.fence)) };
}

/**
 * An agent's verification result: recorded through the same function as the embedded run's, in one
 * transaction with the fence check; a failed check fails the run as it does embedded.
 */
async function finishVerifyRun(agent: Agent, run: Run, f: Extract<FinishReport, { outcome: "verified" }>): Promise<{ state: string }> {
  const params = parseJson<VerifyParams>(run.params, {});
  // the claim recorded which backup it gave the agent (a policy's newest is resolved there)
  const backupId = run.backupId ?? params.backupId;
  if (!backupId) throw new DomainError("INVALID", `Run ${run.id} was never given a backup to verify.`);
  const result: VerifyResult = { passed: f.checks.every((c) => c.ok), checks: f.checks, restoreMs: f.restoreMs ?? null, durationMs: f.durationMs };
  const passed = await db().$transaction(async (tx) => {
    const u = await tx.run.updateMany({ where: { id: run.id, state: "running", leaseOwner: agentLeaseOwner(agent.id), fence: f.fence }, data: { leaseExpiresAt: new Date(Date.now() + agentLeaseMs()) } });
    if (u.count !== 1) throw staleFence(run.id, f.fence);
    const { verification, passed } = await recordRestoreVerification(tx, { runId: run.id, backupId, result, via: `agent:${agent.name}` });
    const error = passed ? null : verificationFailed(backupId, f.checks).message;
    await tx.run.update({
      where: { id: run.id },
      data: { state: passed ? "succeeded" : "failed", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null, error, ...(f.progress ? { progress: JSON.stringify(f.progress) } : {}), result: JSON.stringify({ verificationId: verification.id, backupId, passed, restoreMs: result.restoreMs, durationMs: result.durationMs }) },
    });
    return passed;
  });
  logChecks({ log: (level, message) => void appendRunLog(run.id, level, message) }, f.checks);
  await appendRunLog(run.id, passed ? "info" : "error", passed ? "Succeeded." : verificationFailed(backupId, f.checks).message);
  await emitIfFinal(run.id);
  if (passed && params.mode === "latest") await queueDrillAfter(run);
  return { state: passed ? "succeeded" : "failed" };
}

/**
 * A scheduled verification also drills point-in-time recovery when the host's archive allows it.
 * Embedded, the drill runs inside the verification run; after an agent's verification it is queued
 * as a run of its own (a drill stays with the dashboard), so a failed drill is notified on its own.
 */
async function queueDrillAfter(run: Run) {
  if (!run.hostId || !(await db().binlogSegment.count({ where: { hostId: run.hostId } }))) return;
  const drill = await enqueueRun({ kind: "verify", hostId: run.hostId, policyId: run.policyId, params: { mode: "drill", hostId: run.hostId, after: run.id }, maxAttempts: 1, idempotencyKey: `drill-after:${run.id}` });
  await appendRunLog(run.id, "info", `Point-in-time drill queued as run ${drill.id}.`);
}

/**
 * What the server keeps on a restore run held by an agent (run.result, where the embedded runner
 * keeps its workspace too): the fence of the claim, the database names the restore may create, and
 * the workspace the agent sent (the names it did create), read by finishRun's failure path and by
 * the runner's recovery of a dead agent's run.
 */
type RestoreHold = { claimedFence: number; allowed: string[]; targetHostId: string; workspace?: CreatedDatabases };

/** Fails a run that an agent claimed but cannot execute (nothing was written yet). */
async function failAtClaim(run: Run, message: string, code: ConstructorParameters<typeof DomainError>[0] = "PRECONDITION"): Promise<never> {
  await appendRunLog(run.id, "error", message);
  await finishWithRetry(run, message, false);
  await emitIfFinal(run.id);
  throw new DomainError(code, message);
}

/**
 * Takes the fence of a restore (or point-in-time restore) run. A second claim of the same attempt
 * means the first holder stalled past its queue lock: a restore is never retried on its own (the
 * target may be partly written), so the run fails here, the databases the first holder created are
 * dropped, and the first holder is locked out by the new fence.
 */
async function fenceTargetRun(agent: Agent, run: Run, attempt: number, allowed: string[], targetHostId: string): Promise<Run> {
  const previous = parseJson<Partial<RestoreHold>>(run.result, {});
  const fresh = await takeFence(agent, run, attempt);
  if (previous.claimedFence !== undefined) {
    const kind = runKind(run.kind);
    if (kind?.recover && previous.workspace) await kind.recover(fresh, previous.workspace).catch((e) => appendRunLog(run.id, "error", `Could not remove partial work: ${errorMessage(e)}`));
    await failAtClaim(fresh, `Claimed again with fence ${fresh.fence} after the holder of fence ${previous.claimedFence} stopped answering the queue: a restore is not retried on its own (the target may have been partly written)${previous.workspace?.created.length ? `; the databases it created (${previous.workspace.created.join(", ")}) were dropped` : ""}. Start it again.`, "CONFLICT");
  }
  const hold: RestoreHold = { claimedFence: fresh.fence, allowed, targetHostId };
  await db().run.update({ where: { id: run.id }, data: { result: JSON.stringify(hold) } });
  return fresh;
}

/**
 * A restore on the agent bound to its target host: the backup's set and chain with their keys, the
 * target host's address with its password and datadir, and the restore's params, sealed.
 */
async function claimRestoreRun(agent: Agent, run: Run, o: { attempt: number; publicKey: string }): Promise<ClaimResponse> {
  const p = parseJson<RestoreParams>(run.params, {} as RestoreParams);
  const backup = await db().backup.findUnique({ where: { id: p.backupId } });
  const host = await db().host.findUnique({ where: { id: p.targetHostId } });
  const allowed = p.physical ? [] : p.databases.map((d) => p.rename[d] ?? d);
  const fresh = await fenceTargetRun(agent, run, o.attempt, allowed, p.targetHostId);
  if (!backup || backup.state !== "complete") return failAtClaim(fresh, `Backup ${p.backupId} no longer exists.`, "NOT_FOUND");
  if (!host) return failAtClaim(fresh, "The target host was deleted.", "NOT_FOUND");
  const payload: RestoreJobPayload = { kind: "restore", host: restoreTargetOf(host), target: targetSpec(await loadTarget(backup.targetId)), backupId: backup.id, links: await chainLinks(backup), params: p };
  await appendRunLog(run.id, "info", `Started (attempt ${fresh.attempt} of ${fresh.maxAttempts}) on agent ${agent.name} (${agent.hostname || "host unknown"}), fence ${fresh.fence}: ${p.physical ? "replacing the datadir of" : "restoring into"} ${host.name} from backup ${backup.id}.`);
  return { runId: run.id, kind: run.kind, attempt: fresh.attempt, maxAttempts: fresh.maxAttempts, fence: fresh.fence, sealed: sealForAgent(payload, o.publicKey, agent.tokenHash, payloadContext(run.id, fresh.fence)) };
}

/**
 * A point-in-time restore on the agent bound to its target host: planned here from the catalog
 * (planPitrRun, as the embedded run plans), the plan sealed with the base's chain and keys and the
 * binlog files to replay. The agent reads the binlogs from the storage targets only: a plan that
 * needs the archiver's live tail (events not shipped yet, only in its working directory on the
 * dashboard's machine) fails here with what to do, before anything is restored.
 */
async function claimPitrRun(agent: Agent, run: Run, o: { attempt: number; publicKey: string }): Promise<ClaimResponse> {
  const p = parseJson<PitrParams>(run.params, {} as PitrParams);
  const fresh = await fenceTargetRun(agent, run, o.attempt, [], p.targetHostId);
  const log: WorkContext = { signal: new AbortController().signal, progress: () => undefined, log: (level, message) => void appendRunLog(run.id, level, message) };
  let planned: Awaited<ReturnType<typeof planPitrRun>>;
  let sources: SourceSpec[];
  try {
    planned = await planPitrRun(log, run.id, p);
    sources = await planSourceSpecs(planned.source.id, planned.plan);
  } catch (e) {
    return failAtClaim(fresh, errorMessage(e), e instanceof DomainError ? e.code : "INTERNAL");
  }
  const { job, backup, source, targetHost } = planned;
  const live = sources.filter((x) => x.live);
  if (live.length) {
    return failAtClaim(
      fresh,
      `${describeTarget(parseTarget(p))} needs binlog events of ${live.map((x) => x.file).join(", ")} that the archiver of ${source.name} has not shipped to storage yet: they are only in its working directory on the dashboard's machine, and agent ${agent.name} (which restores into ${targetHost.name}) reads binlogs from the storage target. ` +
        `Wait until the archiver ships them (it ships a file when ${source.name} rotates its binlog${source.archiveRotateSize ? ` and every ${source.archiveRotateSize} bytes` : ""}), or run FLUSH BINARY LOGS on ${source.name}, then start the point-in-time restore again. Nothing was restored.`,
    );
  }
  const allowed = p.physical ? [] : job.chosen.map((d) => p.rename[d] ?? d);
  await db().run.update({ where: { id: run.id }, data: { result: JSON.stringify({ claimedFence: fresh.fence, allowed, targetHostId: p.targetHostId } satisfies RestoreHold) } });
  const stores: Record<string, TargetSpec> = {};
  for (const id of new Set(sources.map((x) => x.targetId))) stores[id] = targetSpec(await loadTarget(id));
  const payload: PitrJobPayload = { kind: "pitr", host: restoreTargetOf(targetHost), target: targetSpec(await loadTarget(backup.targetId)), backupId: backup.id, links: await chainLinks(backup), params: p, job, sources, stores };
  await appendRunLog(run.id, "info", `Started (attempt ${fresh.attempt} of ${fresh.maxAttempts}) on agent ${agent.name} (${agent.hostname || "host unknown"}), fence ${fresh.fence}: point-in-time restore of ${source.name} into ${targetHost.name} from backup ${backup.id} and ${sources.length} binlog file(s).`);
  return { runId: run.id, kind: run.kind, attempt: fresh.attempt, maxAttempts: fresh.maxAttempts, fence: fresh.fence, sealed: sealForAgent(payload, o.publicKey, agent.tokenHash, payloadContext(run.id, fresh.fence)) };
}

/**
 * The databases a held restore is about to create (its workspace), recorded with the fence before
 * it creates them, where the failure path and the recovery of a dead agent read it. Only names the
 * restore may create, on its own target host, are accepted: a report can never make the server drop
 * a database the restore does not own.
 */
export async function recordWorkspace(agent: Agent, runId: string, r: { fence: number; workspace: { targetHostId: string; created: string[] } }): Promise<{ ok: true }> {
  const run = await runForAgent(agent, runId);
  const hold = parseJson<Partial<RestoreHold>>(run.result, {});
  if (hold.claimedFence === undefined || !hold.allowed || !hold.targetHostId) throw new DomainError("PRECONDITION", `Run ${runId} (${run.kind}) keeps no workspace of created databases.`);
  if (r.workspace.targetHostId !== hold.targetHostId) throw new DomainError("INVALID", `Run ${runId} restores into host ${hold.targetHostId}, not ${r.workspace.targetHostId}.`);
  const foreign = r.workspace.created.filter((n) => !hold.allowed!.includes(n));
  if (foreign.length) throw new DomainError("INVALID", `Run ${runId} does not restore database(s) ${foreign.join(", ")}; it may create ${hold.allowed.join(", ") || "none"}.`);
  const next: RestoreHold = { claimedFence: hold.claimedFence, allowed: hold.allowed, targetHostId: hold.targetHostId, workspace: { targetHostId: hold.targetHostId, created: r.workspace.created } };
  const u = await db().run.updateMany({
    where: { id: runId, state: "running", leaseOwner: agentLeaseOwner(agent.id), fence: r.fence },
    data: { result: JSON.stringify(next), leaseExpiresAt: new Date(Date.now() + agentLeaseMs()) },
  });
  if (u.count !== 1) throw staleFence(runId, r.fence);
  return { ok: true };
}

/** A held restore's result, stored as the embedded run stores it, in one transaction with the fence check. */
async function finishRestoreRun(agent: Agent, run: Run, f: Extract<FinishReport, { outcome: "restored" }>): Promise<{ state: string }> {
  // what names the backup and the target comes from the catalog, not from the report
  const targetHostId = executingHostId(run);
  const host = targetHostId ? await db().host.findUnique({ where: { id: targetHostId }, select: { name: true } }) : null;
  const result = { ...f.result, backupId: run.backupId, targetHost: host?.name ?? f.result.targetHost };
  const u = await db().run.updateMany({
    where: { id: run.id, state: "running", leaseOwner: agentLeaseOwner(agent.id), fence: f.fence },
    data: { state: "succeeded", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null, error: null, ...(f.progress ? { progress: JSON.stringify(f.progress) } : {}), result: JSON.stringify(result) },
  });
  if (u.count !== 1) throw staleFence(run.id, f.fence);
  await appendRunLog(run.id, "info", "Succeeded.");
  await emitIfFinal(run.id);
  return { state: "succeeded" };
}

export const payloadContext = (runId: string, fence: number) => `run:${runId}:fence:${fence}`;

export type ProgressReport = { fence: number; progress?: Record<string, unknown>; logs?: { level: "info" | "warn" | "error"; message: string }[] };

/** Progress, log lines and the lease renewal of a held run. Answers whether cancellation was asked. */
export async function reportProgress(agent: Agent, runId: string, r: ProgressReport): Promise<{ cancel: boolean }> {
  await runForAgent(agent, runId);
  const u = await db().run.updateMany({
    where: { id: runId, state: "running", leaseOwner: agentLeaseOwner(agent.id), fence: r.fence },
    data: { leaseExpiresAt: new Date(Date.now() + agentLeaseMs()), ...(r.progress ? { progress: JSON.stringify(r.progress) } : {}) },
  });
  if (u.count !== 1) throw staleFence(runId, r.fence);
  for (const l of r.logs ?? []) await appendRunLog(runId, l.level, l.message.slice(0, 4000));
  const row = await db().run.findUnique({ where: { id: runId }, select: { cancelRequested: true } });
  return { cancel: !!row?.cancelRequested };
}

export type FinishReport =
  | { fence: number; outcome: "succeeded"; manifest: Manifest; manifestSha256: string; facts?: ServerFacts; progress?: Record<string, unknown>; result?: Record<string, unknown> }
  | { fence: number; outcome: "failed" | "cancelled"; error: string; retryable?: boolean; progress?: Record<string, unknown> }
  | { fence: number; outcome: "verified"; checks: Check[]; durationMs: number; restoreMs?: number | null; progress?: Record<string, unknown> }
  | { fence: number; outcome: "restored"; result: Record<string, unknown>; progress?: Record<string, unknown> }
  | { fence: number; outcome: "archived"; stoppedAt: { file: string; position: number; gtid: string | null }; progress?: Record<string, unknown> };

/**
 * The final state of a held run. A success records the backup through the same function as the
 * embedded run, in one transaction with the fence check: a report from an older fence changes
 * nothing (409), so a backup is never recorded twice or replaced by a zombie's.
 */
export async function finishRun(agent: Agent, runId: string, f: FinishReport): Promise<{ state: string }> {
  const run = await runForAgent(agent, runId);
  const owner = agentLeaseOwner(agent.id);
  if (f.outcome === "verified") {
    if (run.kind !== "verify") throw new DomainError("INVALID", `Run ${runId} is a ${run.kind} run, not a verification.`);
    return finishVerifyRun(agent, run, f);
  }
  if (f.outcome === "restored") {
    if (run.kind !== "restore" && run.kind !== "pitr") throw new DomainError("INVALID", `Run ${runId} is a ${run.kind} run, not a restore.`);
    return finishRestoreRun(agent, run, f);
  }
  if (f.outcome === "archived") {
    if (run.kind !== "binlog") throw new DomainError("INVALID", `Run ${runId} is a ${run.kind} run, not a binlog archive.`);
    return finishArchiveRun(agent, run, f);
  }
  if (f.outcome === "succeeded" && run.kind !== "backup") throw new DomainError("INVALID", `Run ${runId} is a ${run.kind} run, not a backup.`);
  const ws = parseJson<{ workspace?: Workspace }>(run.result, {}).workspace;
  if (f.outcome === "succeeded") {
    const manifest = manifestSchema.parse(f.manifest);
    if (!ws || manifest.id !== ws.backupId) throw new DomainError("INVALID", `The manifest reported for run ${runId} is for backup ${manifest.id}, not ${ws?.backupId ?? "(none claimed)"}.`);
    const params = parseJson<StartBackupInput>(run.params, {} as StartBackupInput);
    const host = (await db().host.findUnique({ where: { id: run.hostId! } }))!;
    await db().$transaction(async (tx) => {
      const u = await tx.run.updateMany({
        where: { id: runId, state: "running", leaseOwner: owner, fence: f.fence },
        data: { state: "succeeded", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null, error: null, ...(f.progress ? { progress: JSON.stringify(f.progress) } : {}), result: JSON.stringify(f.result ?? {}) },
      });
      if (u.count !== 1) throw staleFence(runId, f.fence);
      await recordBackup(tx, { run, host, targetId: ws.targetId, prefix: ws.prefix, backupId: ws.backupId, manifest, manifestSha256: f.manifestSha256, encryptionKeyId: params.encryptionKeyId ?? null, startedAt: run.startedAt ?? new Date(), via: `agent:${agent.name}` });
      if (f.facts) await tx.host.update({ where: { id: host.id }, data: { introspection: JSON.stringify(f.facts), introspectedAt: new Date(), introspectionError: null } });
    });
    await appendRunLog(runId, "info", "Succeeded.");
    await emitIfFinal(runId);
    return { state: "succeeded" };
  }
  // failure or cancellation: check the fence (renewing the lease while the cleanup runs)
  const u = await db().run.updateMany({
    where: { id: runId, state: "running", leaseOwner: owner, fence: f.fence },
    data: { leaseExpiresAt: new Date(Date.now() + agentLeaseMs()), ...(f.progress ? { progress: JSON.stringify(f.progress) } : {}) },
  });
  if (u.count !== 1) throw staleFence(runId, f.fence);
  // the agent removed its objects; the server does it again (idempotent) so a half-done cleanup is finished or deferred
  const kind = runKind(run.kind);
  if (kind?.recover && ws) {
    try {
      await kind.recover(run, ws);
    } catch (e) {
      await appendRunLog(runId, "error", `Could not remove partial work: ${errorMessage(e)}`);
    }
  }
  if (f.outcome === "cancelled") {
    await db().run.updateMany({
      where: { id: runId, fence: f.fence, state: "running" },
      data: { state: "cancelled", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null, error: "Cancelled by request; partial objects were removed." },
    });
    await appendRunLog(runId, "warn", "Cancelled; partial objects removed.");
  } else {
    await appendRunLog(runId, "error", f.error);
    await finishWithRetry(run, f.error, !!f.retryable);
  }
  await emitIfFinal(runId);
  const after = await db().run.findUnique({ where: { id: runId }, select: { state: true } });
  return { state: after?.state ?? "unknown" };
}
