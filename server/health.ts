import { catalogPath } from "./env";
import { db } from "./db/client";
import { errorMessage } from "./errors";

export async function catalogHealth() {
  const started = Date.now();
  try {
    const [users, hosts] = await Promise.all([db().user.count(), db().host.count()]);
    return { ok: true, catalog: { status: "ok", path: catalogPath(), users, hosts, ms: Date.now() - started }, needsSetup: users === 0 };
  } catch (e) {
    return {
      ok: false,
      catalog: { status: "error", path: catalogPath(), message: `The catalog cannot be read: ${errorMessage(e)}. Check that DBBACKUP_DATA_DIR is writable and the disk is not full.` },
    };
  }
}
