import { Command, CommanderError } from "commander";
import { registerBuiltins } from "../server/composition-root";
import { errorMessage } from "../server/errors";
import { registerAgentCommand } from "./commands/agent";
import { registerBackupCommands } from "./commands/backup";
import { registerBinlogEventsCommand } from "./commands/binlog-events";
import { registerBinlogCommands } from "./commands/binlog-stream";
import { registerEngineCommands } from "./commands/engine";
import { registerRestoreCommand } from "./commands/restore";
import { registerStatusCommand } from "./commands/status";
import { registerVerifyCommand } from "./commands/verify";
import { Interrupted } from "./interrupted";
import { EXIT, UsageError } from "./usage";

// The SDK's Node-version notice is not about the command's work; stderr stays one line per problem.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

registerBuiltins();

const program = new Command();
program
  .name("dbbackup")
  .description("Backups for MySQL and MariaDB that restore: engines, binlog archive, point-in-time recovery.")
  .version("0.1.0")
  // also accepted before the subcommand (`dbbackup --config c.yaml engine select`); see configOf
  .option("--config <file>", "YAML configuration (the seed's structure; flags override it)")
  .exitOverride()
  .configureOutput({
    // commander's own errors (unknown option, missing argument) become our one-line format
    outputError: (str, write) => write(`dbbackup: ${str.replace(/^error: /, "").trim()} (see dbbackup --help)\n`),
  })
  .addHelpText(
    "after",
    `
Exit codes: 0 success; 1 the work failed (one line on stderr says what, where, and what to do);
2 the command line or config file is wrong (nothing was done); 130 interrupted (partial output removed).
Passwords come from $MYSQL_PWD or --password-file, S3 credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.`,
  );

registerEngineCommands(program);
registerBackupCommands(program);
registerRestoreCommand(program);
registerVerifyCommand(program);
registerBinlogCommands(program);
registerBinlogEventsCommand(program);
registerStatusCommand(program);
registerAgentCommand(program);

program
  .command("demo")
  .description("start a sandbox MariaDB with sample data and register it (host 'demo', target 'demo-local')")
  .option("--port <port>", "port for the sandbox (default 3307, or any free port)", (v) => parseInt(v, 10))
  .option("--rows <n>", "customers in the sample data", (v) => parseInt(v, 10), 5000)
  .action(async (opts) => {
    const { runDemo } = await import("./demo");
    const { closeDb } = await import("../server/db/client");
    try {
      await runDemo(opts);
    } finally {
      await closeDb();
    }
  });

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // one line a person can act on; details with DBBACKUP_DEBUG=1
    process.stderr.write(`dbbackup: ${errorMessage(e).replace(/\s*\n\s*/g, " ")}\n`);
    if (process.env.DBBACKUP_DEBUG) console.error(e);
    if (e instanceof UsageError) return EXIT.usage;
    if (e instanceof Interrupted) return EXIT.interrupted;
    return EXIT.failed;
  }
}

// Connection pools and S3 keep-alive sockets must not keep a finished command alive.
void main().then((code) => process.stdout.write("", () => process.exit(code)));
