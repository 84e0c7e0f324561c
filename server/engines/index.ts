// Registers the engines and restorers this build ships. Import for its side effect.
import { restoreLogicalSet } from "../restore/logical";
import { restorePhysicalInPlace } from "../restore/physical/restore-in-place";
import { registerRestorer } from "../restore/registry";
import { createCloneEngine } from "./clone/clone-engine";
import { logicalEngine } from "./logical";
import { createMariabackupEngine } from "./mariabackup/mariabackup-engine";
import { registerEngine } from "./registry";
import { createSnapshotEngine } from "./snapshot/snapshot-engine";

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
    ...(typeof req.options?.writeBinlog === "boolean" ? { writeBinlog: req.options.writeBinlog } : {}),
  }),
);
registerRestorer("tar", restorePhysicalInPlace);
registerRestorer("xbstream", restorePhysicalInPlace);
