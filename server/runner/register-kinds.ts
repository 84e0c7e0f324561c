import { archiveRunKind } from "../archiving/archive-run";
import { backupRunKind } from "../backups/backup-run";
import { pitrRunKind } from "../pitr/pitr-run";
import { restoreRunKind } from "../restore/restore-run";
import { pruneRunKind } from "../retention/prune";
import { verifyRunKind } from "../verify/verify-run";
import { registerRunKind } from "./run-kinds";
import "../engines/index";

let done = false;

/** Registers every run kind this build knows (idempotent). */
export function registerRunKinds() {
  if (done) return;
  done = true;
  registerRunKind(backupRunKind);
  registerRunKind(restoreRunKind);
  registerRunKind(pruneRunKind);
  registerRunKind(archiveRunKind);
  registerRunKind(pitrRunKind);
  registerRunKind(verifyRunKind);
}
