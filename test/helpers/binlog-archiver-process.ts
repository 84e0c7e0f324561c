// Runs the binlog archiver in its own process (tests kill it with SIGKILL to simulate a crash).
// argv[2]: JSON of ArchiverOptions without callbacks, plus storeDir for a LocalStore.
// Prints one ArchiverStatus JSON per line on stdout; SIGTERM stops it cleanly.
import { runArchiver } from "../../server/binlog/archiver";
import type { ArchiverOptions } from "../../server/binlog/archiver-types";
import { LocalStore } from "../../server/storage/local-store";

const o = JSON.parse(process.argv[2] ?? "{}") as Record<string, unknown> & { storeDir?: string };
const ac = new AbortController();
process.on("SIGTERM", () => ac.abort());
const ctx = {
  signal: ac.signal,
  progress: () => undefined,
  log: (level: string, message: string) => process.stderr.write(`${level}: ${message}\n`),
};
runArchiver(ctx, {
  ...(o as unknown as ArchiverOptions),
  store: o.storeDir ? new LocalStore(o.storeDir) : undefined,
  onStatus: (s) => process.stdout.write(`${JSON.stringify(s)}\n`),
}).then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`failed: ${e.message}\n`);
    process.exit(1);
  },
);
