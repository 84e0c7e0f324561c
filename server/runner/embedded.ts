import { Runner } from "./runner";

const g = globalThis as { __dbbackupRunner?: Runner };

/** The runner living in this server process (one per process). */
export function embeddedRunner(): Runner {
  return (g.__dbbackupRunner ??= new Runner());
}
