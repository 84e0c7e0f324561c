import { createCallerFactory, router } from "./init";
import { agentsRouter } from "./routers/agents";
import { archivingRouter } from "./routers/archiving";
import { auditRouter } from "./routers/audit";
import { backupsRouter } from "./routers/backups";
import { keysRouter } from "./routers/keys";
import { notificationsRouter } from "./routers/notifications";
import { overviewRouter } from "./routers/overview";
import { pitrRouter } from "./routers/pitr";
import { incidentsRouter } from "./routers/incidents";
import { policiesRouter } from "./routers/policies";
import { runsRouter } from "./routers/runs";
import { hostsRouter } from "./routers/hosts";
import { meRouter } from "./routers/me";
import { setupRouter } from "./routers/setup";
import { storageRouter } from "./routers/storage";
import { usersRouter } from "./routers/users";
import { verificationsRouter } from "./routers/verifications";

export const appRouter = router({
  setup: setupRouter,
  me: meRouter,
  users: usersRouter,
  hosts: hostsRouter,
  agents: agentsRouter,
  storage: storageRouter,
  audit: auditRouter,
  runs: runsRouter,
  backups: backupsRouter,
  keys: keysRouter,
  policies: policiesRouter,
  notifications: notificationsRouter,
  overview: overviewRouter,
  pitr: pitrRouter,
  incidents: incidentsRouter,
  archiving: archivingRouter,
  verifications: verificationsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
