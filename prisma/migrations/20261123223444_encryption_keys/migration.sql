-- CreateTable
CREATE TABLE "EncryptionKey" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "keyEnc" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Policy" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "engine" TEXT NOT NULL DEFAULT 'auto',
    "databases" TEXT NOT NULL DEFAULT '[]',
    "excludeTables" TEXT NOT NULL DEFAULT '[]',
    "schedule" TEXT NOT NULL DEFAULT '0 3 * * *',
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "compression" TEXT NOT NULL DEFAULT 'zstd',
    "compressionLevel" INTEGER NOT NULL DEFAULT 3,
    "encryptionKeyId" TEXT,
    "retention" TEXT NOT NULL DEFAULT '{"mode":"count","keep":7}',
    "verifySchedule" TEXT,
    "binlogArchiving" BOOLEAN NOT NULL DEFAULT false,
    "staleAfterMinutes" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "lastScheduledFor" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Policy_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Policy_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "StorageTarget" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Policy_encryptionKeyId_fkey" FOREIGN KEY ("encryptionKeyId") REFERENCES "EncryptionKey" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Policy" ("binlogArchiving", "compression", "compressionLevel", "createdAt", "databases", "enabled", "engine", "excludeTables", "hostId", "id", "lastScheduledFor", "name", "retention", "schedule", "staleAfterMinutes", "targetId", "timezone", "updatedAt", "verifySchedule") SELECT "binlogArchiving", "compression", "compressionLevel", "createdAt", "databases", "enabled", "engine", "excludeTables", "hostId", "id", "lastScheduledFor", "name", "retention", "schedule", "staleAfterMinutes", "targetId", "timezone", "updatedAt", "verifySchedule" FROM "Policy";
DROP TABLE "Policy";
ALTER TABLE "new_Policy" RENAME TO "Policy";
CREATE UNIQUE INDEX "Policy_name_key" ON "Policy"("name");
CREATE TABLE "new_Backup" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "hostId" TEXT NOT NULL,
    "policyId" TEXT,
    "targetId" TEXT NOT NULL,
    "runId" TEXT,
    "engine" TEXT NOT NULL,
    "format" TEXT NOT NULL DEFAULT 'set',
    "state" TEXT NOT NULL DEFAULT 'complete',
    "location" TEXT NOT NULL,
    "sizeBytes" BIGINT NOT NULL DEFAULT 0,
    "objectCount" INTEGER NOT NULL DEFAULT 0,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL,
    "lockMs" REAL,
    "binlogFile" TEXT,
    "binlogPos" BIGINT,
    "gtid" TEXT,
    "serverVersion" TEXT,
    "compression" TEXT NOT NULL DEFAULT 'none',
    "encrypted" BOOLEAN NOT NULL DEFAULT false,
    "databases" TEXT NOT NULL DEFAULT '[]',
    "manifestSha256" TEXT,
    "encryptionKeyId" TEXT,
    "verifyState" TEXT NOT NULL DEFAULT 'unverified',
    "verifiedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Backup_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Backup_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "Policy" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Backup_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "StorageTarget" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Backup_encryptionKeyId_fkey" FOREIGN KEY ("encryptionKeyId") REFERENCES "EncryptionKey" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Backup" ("binlogFile", "binlogPos", "compression", "createdAt", "databases", "encrypted", "engine", "finishedAt", "format", "gtid", "hostId", "id", "location", "lockMs", "manifestSha256", "objectCount", "policyId", "runId", "serverVersion", "sizeBytes", "startedAt", "state", "targetId", "verifiedAt", "verifyState") SELECT "binlogFile", "binlogPos", "compression", "createdAt", "databases", "encrypted", "engine", "finishedAt", "format", "gtid", "hostId", "id", "location", "lockMs", "manifestSha256", "objectCount", "policyId", "runId", "serverVersion", "sizeBytes", "startedAt", "state", "targetId", "verifiedAt", "verifyState" FROM "Backup";
DROP TABLE "Backup";
ALTER TABLE "new_Backup" RENAME TO "Backup";
CREATE INDEX "Backup_hostId_finishedAt_idx" ON "Backup"("hostId", "finishedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "EncryptionKey_name_key" ON "EncryptionKey"("name");

-- CreateIndex
CREATE UNIQUE INDEX "EncryptionKey_keyId_key" ON "EncryptionKey"("keyId");

