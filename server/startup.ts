import { registerBuiltins } from "./composition-root";
import { db } from "./db/client";
import { logger } from "./logging/logger";
import { masterKey } from "./secrets/key";
import { embeddedRunner } from "./runner/embedded";
import { startBackgroundServices } from "./services";
import { seedAdminFromEnv } from "./users/setup";

const g = globalThis as { __dbbackupStarted?: boolean };

/** Catalog migrations, the secret key, the env-seeded admin, then the background services. */
export async function startServerServices() {
  if (g.__dbbackupStarted) return;
  g.__dbbackupStarted = true;
  registerBuiltins();
  masterKey();
  await db().user.count();
  if (await seedAdminFromEnv()) logger.info({ email: process.env.DBBACKUP_ADMIN_EMAIL }, "created the first admin from DBBACKUP_ADMIN_EMAIL");
  if (process.env.DBBACKUP_RUNNER !== "off") {
    startBackgroundServices();
    const runner = embeddedRunner();
    logger.info({ runner: runner.id }, "embedded runner and scheduler started");
    const stop = () => void runner.stop().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  }
}
