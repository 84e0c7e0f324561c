import type { Command } from "commander";
import { loadConfigFile, type ConfigFile } from "../server/config-file";
import { UsageError } from "./usage";

/** --config, --quiet, --json: on every command that does work. */
export function withCommonFlags(cmd: Command, opts: { json?: boolean } = { json: true }): Command {
  cmd.option("--config <file>", "YAML configuration (the seed's structure; flags override it)").option("-q, --quiet", "no progress or info lines on stderr");
  if (opts.json !== false) cmd.option("--json", "print the result as JSON on stdout");
  return cmd;
}

/** True when the user set the option on the command line (or through its env variable), not by default. */
export function given(cmd: Command, key: string): boolean {
  const s = cmd.getOptionValueSource(key);
  return s === "cli" || s === "env";
}

/** The flag's value when given, else the config file's value when set, else the flag's default. */
export function pick<T>(cmd: Command, key: string, fromConfig: T | undefined): T {
  if (given(cmd, key)) return cmd.getOptionValue(key) as T;
  return fromConfig !== undefined ? fromConfig : (cmd.getOptionValue(key) as T);
}

/** The --config file of this command, given after it or before it (`dbbackup --config c.yaml engine select`); {} without one. */
export function configOf(cmd: Command): ConfigFile {
  let file: string | undefined;
  for (let c: Command | null = cmd; c && !file; c = c.parent) file = c.getOptionValue("config") as string | undefined;
  if (!file) return {};
  return loadConfigFile(file);
}

/** "a,b" and repeated flags, collected into one list. */
export function collectList(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(",").map((s) => s.trim()).filter(Boolean)];
}

export function parseIntFlag(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} ${v}: must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export function out(line = "") {
  process.stdout.write(line + "\n");
}

export function printJson(v: unknown) {
  process.stdout.write(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x), 2) + "\n");
}
