import type { ChainBase, ChainLink } from "../artifact/chain";
import type { BackupEngine, BackupOutcome } from "../engines/types";
import { DomainError } from "../errors";
import type { ServerFacts } from "../mysql/server-facts";

/** Refuses a delta backup the engine or the server cannot take on this base, before anything is written. */
export function checkBaseFits(base: ChainBase, engine: BackupEngine, facts: ServerFacts) {
  if (engine.layout !== "xbstream") {
    throw new DomainError("PRECONDITION", `An ${base.kind} backup needs the mariabackup (or xtrabackup) engine; ${engine.name} only takes full backups. Choose --engine mariabackup, or take a full backup.`);
  }
  if (base.parent.serverId !== undefined && facts.serverId !== undefined && base.parent.serverId !== facts.serverId) {
    throw new DomainError(
      "PRECONDITION",
      `The base backup ${base.parent.id} was taken from the server with server_id ${base.parent.serverId}, but this server has server_id ${facts.serverId}: a delta only applies to a copy of the same server. Take a full backup of this server first.`,
    );
  }
}

/** Where a finished physical backup sits in its chain (recorded in the manifest and the catalog); null for engines without LSNs. */
export function chainLinkOf(backupId: string, engine: BackupEngine, outcome: BackupOutcome, base: ChainBase | null): ChainLink | null {
  if (engine.layout !== "xbstream") return null;
  const lsn = (outcome.details?.lsn ?? {}) as { from?: string | null; to?: string | null };
  const to = lsn.to ?? null;
  if (!to || !/^\d+$/.test(to)) {
    if (base) throw new DomainError("INTERNAL", `The ${engine.name} engine reported no to_lsn for the ${base.kind} backup ${backupId}: it cannot be chained and is discarded.`);
    return null;
  }
  if (!base) return { kind: "full", fromLsn: "0", toLsn: to, parent: null, rootId: backupId, depth: 0 };
  const from = lsn.from ?? "";
  if (from !== base.parent.toLsn) {
    throw new DomainError("INTERNAL", `The ${base.kind} backup ${backupId} starts at LSN ${from || "?"}, not at its base ${base.parent.id}'s to_lsn ${base.parent.toLsn}: it is discarded.`);
  }
  if (BigInt(to) < BigInt(from)) {
    throw new DomainError(
      "PRECONDITION",
      `The server's LSN (${to}) is behind the base backup ${base.parent.id}'s (${from}): the server was rebuilt or restored since that backup. Take a full backup.`,
    );
  }
  return {
    kind: base.kind,
    fromLsn: from,
    toLsn: to,
    parent: { id: base.parent.id, location: base.parent.location, manifestSha256: base.parent.manifestSha256, toLsn: base.parent.toLsn },
    rootId: base.parent.rootId,
    depth: base.parent.depth + 1,
  };
}
