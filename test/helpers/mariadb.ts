import { afterAll } from "vitest";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../server/mysql/sandbox";

/** Starts a throwaway MariaDB for this test file (binlog on, own port and datadir); stopped after all tests. */
export async function useMariaDB(opts: SandboxOptions = {}): Promise<Sandbox> {
  const sb = await startSandbox(opts);
  afterAll(async () => {
    await sb.stop();
  });
  return sb;
}
