import type { JobLink } from "../../server/agents/agent-runs";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { openChain } from "../../server/restore/physical/open-chain";
import type { ObjectStore } from "../../server/storage/object-store";

const key = (hex: string | null) => (hex ? Buffer.from(hex, "hex") : null);

/**
 * Opens a claimed backup set on the agent from its sealed links (the set first, then every earlier
 * link of its chain, with their keys), checking the chain as the dashboard does.
 */
export async function openJobSet(store: ObjectStore, links: JobLink[]): Promise<BackupSetReader> {
  const [self, ...ancestors] = links;
  if (!self) throw new Error("the claim named no backup set");
  const reader = await BackupSetReader.open(store, self.location, key(self.encryptionKey));
  if (ancestors.length)
    await openChain(reader, async (p) => {
      const link = ancestors.find((l) => l.id === p.id);
      if (!link) throw new Error(`backup ${p.id} is not in the catalog any more`);
      return BackupSetReader.open(store, link.location, key(link.encryptionKey));
    });
  return reader;
}
