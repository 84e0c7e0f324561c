-- Physical backup chains (mariabackup incrementals and differentials). Plain ADD COLUMNs rather
-- than a table rebuild, so migrations of other branches that add columns to the same tables keep them.
ALTER TABLE "Backup" ADD COLUMN "backupKind" TEXT NOT NULL DEFAULT 'full';
ALTER TABLE "Backup" ADD COLUMN "parentBackupId" TEXT;
ALTER TABLE "Backup" ADD COLUMN "chainRootId" TEXT;
ALTER TABLE "Backup" ADD COLUMN "fromLsn" TEXT;
ALTER TABLE "Backup" ADD COLUMN "toLsn" TEXT;
ALTER TABLE "Backup" ADD COLUMN "chainBroken" TEXT;
CREATE INDEX "Backup_parentBackupId_idx" ON "Backup"("parentBackupId");
ALTER TABLE "Policy" ADD COLUMN "backupKind" TEXT NOT NULL DEFAULT 'full';
ALTER TABLE "Policy" ADD COLUMN "rtoSeconds" INTEGER;
