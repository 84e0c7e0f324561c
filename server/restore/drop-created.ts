import { db } from "../db/client";
import { DomainError, errorMessage } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { withServer } from "../mysql/connect";
import type { ServerAddress } from "../mysql/connection-options";

/**
 * Recovery of a restore that did not finish (failed, cancelled, or its runner died): drops the
 * databases it had created on the target host, so no half-restored copy is left looking complete.
 * Databases that existed before the restore are never in `created`.
 */
export async function dropCreatedDatabases(ws: { targetHostId?: string; created?: string[] }): Promise<"cleaned"> {
  if (!ws.targetHostId || !ws.created?.length) return "cleaned";
  const host = await db().host.findUnique({ where: { id: ws.targetHostId } });
  if (!host) return "cleaned";
  await dropDatabasesAt(hostAddress(host), host.name, ws.created);
  return "cleaned";
}

/** Drops these databases (if they exist) on a server; the agent calls it too, where only it reaches the server. */
export async function dropDatabasesAt(address: ServerAddress, hostName: string, names: string[]) {
  if (!names.length) return;
  await withServer(address, async (c) => {
    for (const name of names) {
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name.replace(/`/g, "``")}\``);
      } catch (e) {
        throw new DomainError("UNAVAILABLE", `could not drop the partly restored database ${name} on ${hostName}: ${errorMessage(e)}`);
      }
    }
  });
}
