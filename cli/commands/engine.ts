import type { Command } from "commander";
import { formatEngineReport, gatherEngineReport } from "../../server/engines/select/engine-report";
import { gatherInfo } from "../../server/backup-pipeline/gather-info";
import { configOf, out, printJson, withCommonFlags } from "../common";
import { addressFromCommand, withConnectionFlags } from "../connection";
import { UsageError, usage } from "../usage";

/** `dbbackup engine list|select`: live facts of the server, the engines and the recommendation. */
export function registerEngineCommands(program: Command) {
  const engine = program.command("engine").description("the backup engines: which can run against a server, and which is best");
  for (const [name, withList] of [
    ["list", true],
    ["select", false],
  ] as const) {
    const cmd = engine
      .command(name)
      .description(withList ? "show the server's facts and every engine with its availability (and why not)" : "show the server's facts and the engine auto-selection would choose, with the reason")
      .option("--destination <where>", "where the backup will go: local | s3 (a cloud destination favours engines that stream)", "local");
    withConnectionFlags(cmd);
    withCommonFlags(cmd);
    cmd.action(async (_o, c: Command) => {
      const plan = await usage(() => {
        const cfg = configOf(c);
        const destination = c.getOptionValue("destination") as string;
        if (destination !== "local" && destination !== "s3") throw new UsageError(`--destination ${destination}: use local or s3`);
        return { server: addressFromCommand(c, cfg), destination: destination as "local" | "s3", json: !!c.getOptionValue("json") };
      });
      const facts = await gatherInfo(plan.server);
      const report = gatherEngineReport(facts, { destination: plan.destination });
      if (plan.json) printJson(withList ? report : { info: report.info, recommendation: report.recommendation });
      else out(formatEngineReport(report, { engines: withList }).trimEnd());
    });
  }
}
