import os from "node:os";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { AgentJobData, BackupJobPayload, ClaimResponse, PitrJobPayload, RestoreJobPayload, VerifyJobPayload } from "../../server/agents/agent-runs";
import { payloadContext } from "../../server/agents/agent-runs";
import { agentKeyPair, openSealed } from "../../server/agents/payload-seal";
import { redisClient } from "../../server/agents/queue";
import { hashAgentToken } from "../../server/agents/tokens";
import { DomainError, errorMessage } from "../../server/errors";
import { AgentApiError, agentClient } from "./client";
import { executeBackupJob } from "./execute-backup";
import { executePitrJob, executeRestoreJob } from "./execute-restore";
import { executeVerifyJob } from "./execute-verify";
import { defaultAgentDataDir, executeArchiveJob } from "./execute-archive";
import { cleanupWorker } from "./execute-cleanups";
import type { ArchiveJobPayload } from "../../server/agents/archive-on-agent";
import type { AgentCleanup } from "../../server/agents/agent-cleanups";
import { gatherAgentFacts } from "./facts";

export const AGENT_VERSION = "0.1.0";

export type AgentOptions = {
  server: string;
  token: string;
  redisUrl?: string;
  concurrency: number;
  /** BullMQ lock of a job being worked on (renewed at half of it); a stalled job goes to another worker after it */
  lockMs: number;
  datadirs: string[];
  /** where binlog archive working directories and checkpoints live (default: defaultAgentDataDir()) */
  dataDir?: string;
  say: (line: string) => void;
};

type Registration = { agentId: string; name: string; queue: string; redisUrl: string | null; heartbeatMs: number; leaseMs: number; hosts: { id: string; name: string }[]; cleanups?: AgentCleanup[] };

/**
 * The runner agent: registers with the dashboard, heartbeats, and works the BullMQ queue of its
 * runs. Secrets arrive sealed per claim and live only in memory. Resolves when stopped (signal) or
 * rejects when the token is refused.
 */
export async function runAgent(o: AgentOptions, signal: AbortSignal): Promise<void> {
  const call = agentClient(o.server, o.token);
  const tokenHash = hashAgentToken(o.token);
  const facts = await gatherAgentFacts({ datadirs: o.datadirs });
  const reg = await call<Registration>("register", { hostname: os.hostname(), version: AGENT_VERSION, facts });
  const redisUrl = o.redisUrl || reg.redisUrl;
  if (!redisUrl) throw new DomainError("PRECONDITION", `The dashboard at ${o.server} has no queue configured: set DBBACKUP_REDIS_URL on the dashboard (and here with --redis-url when the agent reaches Redis under another address).`);
  const dataDir = o.dataDir ?? defaultAgentDataDir();
  const cleanups = cleanupWorker(call, o.say);
  cleanups(reg.cleanups);
  /** archive runs live for days: they run beside the queue's jobs, not in one of its slots */
  const archives = new Set<Promise<unknown>>();
  const tools = Object.entries(facts.tools ?? {}).filter(([, p]) => p).map(([t]) => t);
  o.say(`registered as agent ${reg.name} (${reg.agentId}); hosts: ${reg.hosts.map((h) => h.name).join(", ") || "none bound yet"}; tools: ${tools.join(", ") || "none"}; queue ${reg.queue} on ${redisUrl.replace(/\/\/[^@]*@/, "//***@")}`);

  let fatal: unknown = null;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener("abort", onAbort, { once: true });

  const heartbeat = setInterval(() => {
    call<{ cleanups?: AgentCleanup[] }>("heartbeat", {}).then((r) => cleanups(r.cleanups), (e) => {
      if (e instanceof AgentApiError && (e.status === 401 || e.status === 403)) {
        fatal = new DomainError("UNAUTHORIZED", `The dashboard refused this agent's token: ${e.message}`);
        stop.abort();
      } else o.say(`heartbeat failed: ${errorMessage(e)}`);
    });
  }, reg.heartbeatMs);

  const worker = new Worker<AgentJobData>(
    reg.queue,
    async (job: Job<AgentJobData>) => {
      const { runId, attempt } = job.data;
      const keys = agentKeyPair();
      let claim: ClaimResponse;
      try {
        claim = await call<ClaimResponse>(`runs/${runId}/claim`, { attempt, publicKey: keys.publicKey });
      } catch (e) {
        // a job for an attempt that ended (recovered, retried, cancelled) or for another agent's host
        if (e instanceof AgentApiError && [403, 404, 409, 412].includes(e.status)) {
          o.say(`run ${runId} attempt ${attempt}: not taken (${e.message})`);
          return { skipped: e.message };
        }
        throw e;
      }
      const payload = openSealed<BackupJobPayload | VerifyJobPayload | RestoreJobPayload | PitrJobPayload | ArchiveJobPayload>(claim.sealed, keys.privateKey, tokenHash, payloadContext(claim.runId, claim.fence));
      if (payload.kind === "binlog") {
        o.say(`run ${runId}: claimed with fence ${claim.fence} (attempt ${claim.attempt}), binlog archive of ${payload.setup.host.name} to ${payload.target.kind === "s3" ? `s3://${payload.target.bucket}/${payload.target.prefix}` : payload.target.path}, working directory under ${dataDir}`);
        const p = executeArchiveJob(call, claim, payload, o.say, stop.signal, dataDir).then(
          (outcome) => o.say(`run ${runId}: ${outcome}`),
          (e) => o.say(`run ${runId}: archive failed: ${errorMessage(e)}`),
        );
        archives.add(p);
        void p.finally(() => archives.delete(p));
        return { outcome: "archiving" };
      }
      const where = payload.target.kind === "s3" ? `s3://${payload.target.bucket}/${payload.target.prefix}` : payload.target.path;
      const what =
        payload.kind === "verify"
          ? `verify of backup ${payload.backupId} (${payload.host.name}) from`
          : payload.kind === "restore"
            ? `${payload.params.physical ? "in-place physical restore" : "restore"} of backup ${payload.backupId} into ${payload.host.name} from`
            : payload.kind === "pitr"
              ? `point-in-time restore of ${payload.job.sourceHost} (backup ${payload.backupId}, ${payload.sources.length} binlog file(s)) into ${payload.host.name} from`
              : `${payload.kind} of ${payload.host.name} to`;
      o.say(`run ${runId}: claimed with fence ${claim.fence} (attempt ${claim.attempt}), ${what} ${where}`);
      const outcome =
        payload.kind === "verify"
          ? await executeVerifyJob(call, claim, payload, o.say, stop.signal)
          : payload.kind === "restore"
            ? await executeRestoreJob(call, claim, payload, o.say, stop.signal)
            : payload.kind === "pitr"
              ? await executePitrJob(call, claim, payload, o.say, stop.signal)
              : await executeBackupJob(call, claim, payload, o.say, stop.signal);
      o.say(`run ${runId}: ${outcome}`);
      if (outcome === "fenced") throw new UnrecoverableError("taken over by a newer claim");
      return { outcome };
    },
    {
      connection: redisClient(redisUrl, { maxRetriesPerRequest: null }),
      concurrency: o.concurrency,
      lockDuration: o.lockMs,
      stalledInterval: Math.max(500, Math.floor(o.lockMs / 2)),
      maxStalledCount: 1,
      autorun: true,
    },
  );
  worker.on("error", (e) => o.say(`queue: ${errorMessage(e)}`));

  await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener("abort", () => resolve(), { once: true })));
  clearInterval(heartbeat);
  signal.removeEventListener("abort", onAbort);
  // running jobs saw the abort: they remove their objects and report an interrupted (retryable) attempt
  await worker.close().catch(() => undefined);
  // archivers close and ship their open segment before the agent exits
  await Promise.allSettled([...archives]);
  if (fatal) throw fatal;
}
