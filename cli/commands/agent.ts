import fs from "node:fs";
import type { Command } from "commander";
import { UsageError } from "../usage";

/** `dbbackup agent`: a runner agent on a database host, taking the dashboard's runs for its hosts. */
export function registerAgentCommand(program: Command) {
  program
    .command("agent")
    .description("run as a runner agent: register with the dashboard, heartbeat, and execute the runs of the hosts bound to this agent (BullMQ on Redis)")
    .requiredOption("--server <url>", "the dashboard's URL, e.g. https://dbbackup.internal")
    .option("--token <token>", "the agent token (created under Agents; prefer $DBBACKUP_AGENT_TOKEN or --token-file, a command line is visible to other users)")
    .option("--token-file <file>", "read the agent token from this file")
    .option("--redis-url <url>", "Redis as this machine reaches it (default: what the dashboard announces, its DBBACKUP_REDIS_URL)")
    .option("--concurrency <n>", "runs executed at once", (v) => parseInt(v, 10), 1)
    .option("--datadir <dir...>", "datadirs to report besides the ones of running servers")
    .option("--data-dir <dir>", "the agent's own state: binlog archive working directories and checkpoints (default $DBBACKUP_AGENT_DATA_DIR, else /var/lib/dbbackup-agent as root, else ~/.local/state/dbbackup-agent)")
    .action(async (opts: { server: string; token?: string; tokenFile?: string; redisUrl?: string; concurrency: number; datadir?: string[]; dataDir?: string }) => {
      let token = opts.token ?? process.env.DBBACKUP_AGENT_TOKEN;
      if (opts.tokenFile) {
        try {
          token = fs.readFileSync(opts.tokenFile, "utf8").trim();
        } catch (e) {
          throw new UsageError(`Cannot read --token-file ${opts.tokenFile}: ${(e as Error).message}`);
        }
      }
      if (!token) throw new UsageError("Give the agent token: --token, --token-file or $DBBACKUP_AGENT_TOKEN (an admin creates it under Agents).");
      if (!/^https?:\/\//.test(opts.server)) throw new UsageError(`--server ${opts.server} is not an http(s) URL.`);
      if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1 || opts.concurrency > 16) throw new UsageError("--concurrency takes 1 to 16.");
      const { runAgent } = await import("../agent/agent");
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
      const say = (line: string) => process.stderr.write(`${new Date().toISOString()} agent: ${line}\n`);
      await runAgent(
        { server: opts.server, token, redisUrl: opts.redisUrl ?? process.env.DBBACKUP_REDIS_URL, concurrency: opts.concurrency, lockMs: Number(process.env.DBBACKUP_AGENT_LOCK_MS || 30_000), datadirs: opts.datadir ?? [], ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), say },
        ac.signal,
      );
      say("stopped");
    });
}
