import type { Role } from "./roles";

/**
 * The permission table: every tRPC procedure and the least role that may call it.
 * "public" procedures need no session. The tRPC middleware enforces this table and denies any
 * procedure missing from it, so adding a procedure without deciding who may call it fails closed
 * (and the role matrix test fails).
 */
export const PERMISSIONS: Record<string, Role | "public"> = {
  // session & setup
  "setup.status": "public",
  "setup.createFirstAdmin": "public",
  "me.get": "viewer",
  "me.changePassword": "viewer",

  // users
  "users.list": "admin",
  "users.create": "admin",
  "users.setRole": "admin",
  "users.setDisabled": "admin",
  "users.resetPassword": "admin",

  // hosts
  "hosts.list": "viewer",
  "hosts.get": "viewer",
  "hosts.engines": "viewer",
  "hosts.create": "admin",
  "hosts.update": "admin",
  "hosts.delete": "admin",
  "hosts.testConnection": "admin",
  "hosts.testSaved": "operator",
  "hosts.introspect": "operator",

  // runner agents: viewers see them (no token material), admins create and revoke tokens and bind hosts
  "agents.list": "viewer",
  "agents.create": "admin",
  "agents.revoke": "admin",
  "agents.bindHost": "admin",

  // storage targets
  "storage.list": "viewer",
  "storage.get": "viewer",
  "storage.create": "admin",
  "storage.update": "admin",
  "storage.delete": "admin",
  "storage.test": "operator",
  "storage.testDraft": "admin",

  // audit
  "audit.list": "viewer",
  "overview.get": "viewer",
  "pitr.timeline": "viewer",
  "pitr.plan": "viewer",
  "pitr.start": "operator",
  "incidents.list": "viewer",
  "incidents.restorePlan": "viewer",
  "incidents.reindex": "operator",
  "incidents.undo": "operator",
  "incidents.tableRestore": "operator",
  "incidents.repairSql": "operator",
  "archiving.start": "operator",
  "archiving.stop": "operator",
  "verifications.list": "viewer",
  "verifications.start": "operator",
  "verifications.drill": "operator",

  // runs
  "runs.list": "viewer",
  "runs.get": "viewer",
  "runs.cancel": "operator",

  // backups and restores (restoring over the source host's own databases also needs admin: checked in startRestore)
  "backups.list": "viewer",
  "backups.get": "viewer",
  "backups.manifest": "viewer",
  "backups.start": "operator",
  "backups.restore": "operator",
  "backups.delete": "admin",

  // backup encryption keys: viewers may see names and key ids, never key material
  "keys.list": "viewer",
  "keys.create": "admin",
  "keys.export": "admin",

  // policies: operators manage them (DESIGN.md)
  "policies.list": "viewer",
  "policies.get": "viewer",
  "policies.preview": "viewer",
  "policies.retentionPreview": "viewer",
  "policies.create": "operator",
  "policies.update": "operator",
  "policies.delete": "operator",
  "policies.runNow": "operator",
  "policies.prune": "operator",
  "policies.exportYaml": "viewer",
  "policies.importYaml": "operator",

  // notification channels hold webhook URLs and SMTP passwords: admins manage them
  "notifications.list": "viewer",
  "notifications.create": "admin",
  "notifications.delete": "admin",
  "notifications.setEnabled": "admin",
  "notifications.test": "operator",
};
