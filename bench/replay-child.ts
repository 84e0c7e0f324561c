// Our binlog replay as a process of its own (so the benchmark can read its peak memory): the same
// calls `restore --binlogs` makes after the base backup (cli/commands/pitr.ts), without the restore.
// Usage: node --import tsx bench/replay-child.ts '<json ReplayChildArgs>'; prints the ReplayResult as JSON.
import { terminalContext } from "../cli/work-context";
import { directorySources, replayBinlogs } from "../server/pitr/replay";
import { LocalStore } from "../server/storage/local-store";

export type ReplayChildArgs = {
  archiveDir: string;
  from: { file: string; position: number };
  fromGtid: string | null;
  port: number;
  databases: string[];
};

async function main() {
  const a = JSON.parse(process.argv[2] ?? "{}") as ReplayChildArgs;
  const ctx = terminalContext();
  try {
    const sources = await directorySources(a.archiveDir, a.from, new LocalStore(a.archiveDir));
    const res = await replayBinlogs(ctx, {
      target: { host: "127.0.0.1", port: a.port, user: "root", password: "", tlsMode: "disabled" },
      sources,
      from: a.from,
      databases: a.databases,
      knownDatabases: a.databases,
      fromGtid: a.fromGtid,
      flavor: "mariadb",
      bytesTotal: sources.reduce((n, s) => n + (s.size ?? 0), 0),
    });
    ctx.done();
    process.stdout.write(JSON.stringify(res) + "\n");
  } catch (e) {
    ctx.done();
    process.stderr.write(`replay failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

void main().then(() => process.exit());
