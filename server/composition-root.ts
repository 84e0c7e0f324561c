// The composition root: the one place that knows every engine, restorer and run kind this build
// ships, and registers them. Entry points call registerBuiltins() once before any work: the server
// (server/startup.ts, the tRPC route), the CLI (cli/main.ts), the library (server/library.ts) and the
// tests (test/helpers/setup.ts). Below this file nothing registers itself by being imported, so the
// runner and the engines import nothing above them.
import { archiveRunKind } from "./archive-runs/archive-run";
import { backupRunKind } from "./backups/backup-run";
import { createCloneEngine } from "./engines/clone/clone-engine";
import { logicalEngine } from "./engines/logical";
import { createMariabackupEngine } from "./engines/mariabackup/mariabackup-engine";
import { registerEngine } from "./engines/registry";
import { createSnapshotEngine } from "./engines/snapshot/snapshot-engine";
import { pitrRunKind } from "./pitr/pitr-run";
import { restoreLogicalSet } from "./restore/logical";
import { restorePhysicalInPlace } from "./restore/physical/restore-in-place";
import { registerRestorer } from "./restore/registry";
import { restoreRunKind } from "./restore/restore-run";
import { pruneRunKind } from "./retention/prune";
import { registerRunKind } from "./runner/run-kinds";
import { verifyRunKind } from "./verify/verify-run";
import { incidentIndexRunKind } from "./incidents/index-runs";
import { dmlUndoRunKind } from "./incidents/dml-undo";
import { tableRestoreRunKind } from "./incidents/table-restore";

let done = false;

/** Registers the engines, the restorers (by backup layout) and the run kinds. Idempotent. */
export function registerBuiltins() {
  if (done) return;
  done = true;

  registerEngine(logicalEngine);
  registerEngine(createSnapshotEngine());
  registerEngine(createMariabackupEngine("mariabackup"));
  registerEngine(createMariabackupEngine("xtrabackup"));
  registerEngine(createCloneEngine());

  registerRestorer("logical-set", (ctx, req) =>
    restoreLogicalSet(ctx, {
      reader: req.reader,
      target: req.target,
      rename: req.rename,
      databases: req.databases,
      parallel: req.parallel,
      dropExisting: req.dropExisting,
      ...(req.writeBinlog !== undefined ? { writeBinlog: req.writeBinlog } : {}),
    }),
  );
  registerRestorer("tar", restorePhysicalInPlace);
  registerRestorer("xbstream", restorePhysicalInPlace);

  registerRunKind(backupRunKind);
  registerRunKind(restoreRunKind);
  registerRunKind(pruneRunKind);
  registerRunKind(archiveRunKind);
  registerRunKind(pitrRunKind);
  registerRunKind(verifyRunKind);
  registerRunKind(incidentIndexRunKind);
  registerRunKind(dmlUndoRunKind);
  registerRunKind(tableRestoreRunKind);
}
