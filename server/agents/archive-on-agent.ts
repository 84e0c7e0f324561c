import { z } from "zod";
import type { Agent, Run } from "../db/generated/client";
import type { SegmentMeta } from "../binlog";
import { archiveSetupOf, recordSegment, writeArchiverState, type ArchiveParams, type ArchiveSetup } from "../archive-runs/archive-run";
import { db, parseJson } from "../db/client";
import { DomainError } from "../errors";
import { hostRowThreshold, recordSegmentScan } from "../incidents/catalog-index";
import { INCIDENT_KINDS, type Incident, type IncidentKind } from "../incidents/scan-incidents";
import { agentLeaseOwner } from "../runner/dispatch";
import { appendRunLog } from "../runner/run-log";
import { emitIfFinal } from "../runner/runner";
import { loadTarget, targetSpec, type TargetSpec } from "../storage/open-store";
import { agentLeaseMs, payloadContext, staleFence, takeFence, type ClaimResponse } from "./agent-runs";
import { sealForAgent } from "./payload-seal";

// Binlog archive runs of agent-bound hosts: the agent is the replica, keeps the working directory
// and checkpoint on its own machine, ships segments straight to the target, reads them for
// incidents there, and reports each shipped segment, its checkpoints and status here with the
// run's fence. The server records them with the same functions as the embedded archive run.

/** The sealed part of an archive claim. */
export type ArchiveJobPayload = {
  kind: "binlog";
  setup: ArchiveSetup;
  targetId: string;
  target: TargetSpec;
  /** the host's incident row threshold (the agent indexes the segments it ships) */
  rowThreshold: number;
};

/** Claims an archive run: a new fence (a zombie holder's reports are refused from now on) and the setup, sealed. */
export async function claimArchiveRun(agent: Agent, run: Run, o: { attempt: number; publicKey: string }): Promise<ClaimResponse> {
  const params = parseJson<ArchiveParams>(run.params, { targetId: "" });
  const setup = await archiveSetupOf(run, params);
  const target = await loadTarget(params.targetId);
  const fresh = await takeFence(agent, run, o.attempt);
  const payload: ArchiveJobPayload = { kind: "binlog", setup, targetId: target.id, target: targetSpec(target), rowThreshold: await hostRowThreshold(setup.host.id) };
  await writeArchiverState(setup.host.id, { status: "running", message: `claimed by agent ${agent.name}`, runId: run.id, serverId: setup.host.serverId });
  await appendRunLog(run.id, "info", `Started (attempt ${fresh.attempt} of ${fresh.maxAttempts}) on agent ${agent.name} (${agent.hostname || "host unknown"}), fence ${fresh.fence}: archiving binlogs of ${setup.host.name}.`);
  return { runId: run.id, kind: run.kind, attempt: fresh.attempt, maxAttempts: fresh.maxAttempts, fence: fresh.fence, sealed: sealForAgent(payload, o.publicKey, agent.tokenHash, payloadContext(run.id, fresh.fence)) };
}

const date = z.union([z.string(), z.date()]).nullable().transform((v) => (v === null ? null : new Date(v)));
const segmentMeta = z.object({
  flavor: z.enum(["mariadb", "mysql"]),
  file: z.string().min(1).max(255),
  startPosition: z.number().int().min(0),
  endPosition: z.number().int().min(0),
  byteOffset: z.number().int().min(0),
  firstEventAt: date,
  lastEventAt: date,
  gtidFirst: z.string().max(100_000).nullable(),
  gtidLast: z.string().max(100_000).nullable(),
  gtidStateEnd: z.string().max(100_000).nullable(),
  serverIds: z.array(z.number().int()).max(1000),
  eventCount: z.number().int().min(0),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  storedSize: z.number().int().min(0),
  storedSha256: z.string().max(64),
  compressed: z.boolean(),
  compression: z.enum(["zstd", "none"]),
  key: z.string().min(1).max(2000),
  endedBy: z.enum(["rotate", "stop-event", "size", "shutdown", "file-change", "gap"]),
  fileComplete: z.boolean(),
  createdAt: date,
});
const incident = z.object({
  kind: z.enum(INCIDENT_KINDS as [IncidentKind, ...IncidentKind[]]),
  gtid: z.string().nullable(),
  file: z.string(),
  startPosition: z.number().int(),
  endPosition: z.number().int(),
  eventPosition: z.number().int(),
  at: z.union([z.string(), z.date()]).transform((v) => new Date(v)),
  tables: z.array(z.string()),
  database: z.string().nullable(),
  statement: z.string().nullable(),
  rows: z.number().nullable(),
  bytes: z.number(),
  threadId: z.number().nullable(),
  serverId: z.number(),
});
export const archiveSegmentBody = z.object({
  fence: z.number().int(),
  meta: segmentMeta,
  /** what the agent read from the segment for the incident index; absent when it could not */
  scan: z.object({ incidents: z.array(incident).max(20_000), bytes: z.number().int().min(0), ms: z.number().int().min(0), error: z.string().max(8000).nullable() }).optional(),
});
export const archiverStateBody = z.object({
  fence: z.number().int(),
  state: z.object({
    status: z.enum(["running", "stopped", "error"]).optional(),
    message: z.string().max(8000).nullable().optional(),
    file: z.string().max(255).nullable().optional(),
    position: z.number().int().nullable().optional(),
    gtid: z.string().max(100_000).nullable().optional(),
    lastEventAt: z.string().nullable().optional(),
    lagSeconds: z.number().nullable().optional(),
    bytes: z.number().int().min(0).optional(),
  }),
});

async function archiveRunOf(agent: Agent, runId: string) {
  const run = await db().run.findUnique({ where: { id: runId }, include: { host: { select: { name: true, agentId: true } } } });
  if (!run) throw new DomainError("NOT_FOUND", `Run ${runId} does not exist.`);
  if (!run.host || run.host.agentId !== agent.id) throw new DomainError("FORBIDDEN", `Run ${runId} is not for a host bound to agent ${agent.name}.`);
  if (run.kind !== "binlog") throw new DomainError("INVALID", `Run ${runId} is a ${run.kind} run, not a binlog archive.`);
  return run;
}

/** Renews the lease if the fence is current; throws 409 otherwise. */
async function checkFence(agent: Agent, runId: string, fence: number, tx: Pick<ReturnType<typeof db>, "run"> = db()) {
  const u = await tx.run.updateMany({ where: { id: runId, state: "running", leaseOwner: agentLeaseOwner(agent.id), fence }, data: { leaseExpiresAt: new Date(Date.now() + agentLeaseMs()) } });
  if (u.count !== 1) throw staleFence(runId, fence);
}

/**
 * A segment the agent shipped: recorded with the same upsert as the embedded run (a segment
 * reported twice, after a retry or a resume, is one row), in one transaction with the fence check,
 * then the incidents the agent read from it.
 */
export async function reportArchiveSegment(agent: Agent, runId: string, r: z.infer<typeof archiveSegmentBody>) {
  const run = await archiveRunOf(agent, runId);
  const { targetId } = parseJson<ArchiveParams>(run.params, { targetId: "" });
  const meta = { ...r.meta, createdAt: r.meta.createdAt ?? new Date() } as SegmentMeta;
  const row = await db().$transaction(async (tx) => {
    await checkFence(agent, runId, r.fence, tx);
    return recordSegment(run.hostId!, targetId, meta, tx);
  });
  if (r.scan) await recordSegmentScan(run.hostId!, row.id, r.scan.incidents as Incident[], r.scan);
  return { segmentId: row.id };
}

/** A checkpoint, status or lag of the agent's archiver, into the host's ArchiverState. */
export async function reportArchiverState(agent: Agent, runId: string, r: z.infer<typeof archiverStateBody>) {
  const run = await archiveRunOf(agent, runId);
  await checkFence(agent, runId, r.fence);
  await writeArchiverState(run.hostId!, { ...r.state, runId });
  const row = await db().run.findUnique({ where: { id: runId }, select: { cancelRequested: true } });
  return { cancel: !!row?.cancelRequested };
}

/** The agent's archiver stopped cleanly (stop archiving): its open segment was shipped and reported. */
export async function finishArchiveRun(agent: Agent, run: Run, f: { fence: number; stoppedAt: { file: string; position: number; gtid: string | null }; progress?: Record<string, unknown> }) {
  const u = await db().run.updateMany({
    where: { id: run.id, state: "running", leaseOwner: agentLeaseOwner(agent.id), fence: f.fence },
    data: { state: "cancelled", finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null, error: "Stopped by request.", ...(f.progress ? { progress: JSON.stringify(f.progress) } : {}), result: JSON.stringify({ stoppedAt: f.stoppedAt }) },
  });
  if (u.count !== 1) throw staleFence(run.id, f.fence);
  await appendRunLog(run.id, "info", `Stopped by request after finishing cleanly on agent ${agent.name} at ${f.stoppedAt.file}:${f.stoppedAt.position}.`);
  await emitIfFinal(run.id);
  return { state: "cancelled" };
}
