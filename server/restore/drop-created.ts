import { db } from "../db/client";
import { DomainError, errorMessage } from "../errors";
import { hostAddress } from "../hosts/host-address";
import { withServer } from "../mysql/connect";

/**
 * Recovery of a restore that did not finish (failed, cancelled, or its runner died): drops the
 * databases it had created on the target host, so no half-restored copy is left looking complete.
 * Databases that existed before the restore are never in `created`.
 */
export async function dropCreatedDatabases(ws: { targetHostId?: string; created?: string[] }): Promise<"cleaned"> {
  if (!ws.targetHostId || !ws.created?.length) return "cleaned";
  const host = await db().host.findUnique({ where: { id: ws.targetHostId } });
  if (!host) return "cleaned";
  await withServer(hostAddress(host), async (c) => {
    for (const name of ws.created!) {
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${name.replace(/`/g, "``")}\``);
      } catch (e) {
        throw new DomainError("UNAVAILABLE", `could not drop the partly restored database ${name} on ${host.name}: ${errorMessage(e)}`);
      }
    }
  });
  return "cleaned";
}
