// The logical engine: load side.
export { restoreLogicalSet, type RestoreLogicalOptions, type RestoreLogicalResult } from "./restore-set";
