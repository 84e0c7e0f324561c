-- CreateTable
CREATE TABLE "Agent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "tokenHint" TEXT NOT NULL,
    "hostname" TEXT NOT NULL DEFAULT '',
    "version" TEXT NOT NULL DEFAULT '',
    "facts" TEXT NOT NULL DEFAULT '{}',
    "registeredAt" DATETIME,
    "lastHeartbeatAt" DATETIME,
    "offlineNotifiedAt" DATETIME,
    "revokedAt" DATETIME,
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Host" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "host" TEXT NOT NULL DEFAULT '',
    "port" INTEGER NOT NULL DEFAULT 3306,
    "socket" TEXT,
    "user" TEXT NOT NULL,
    "passwordEnc" TEXT,
    "tlsMode" TEXT NOT NULL DEFAULT 'preferred',
    "tlsCa" TEXT,
    "environment" TEXT NOT NULL DEFAULT '',
    "labels" TEXT NOT NULL DEFAULT '[]',
    "isVerificationHost" BOOLEAN NOT NULL DEFAULT false,
    "datadir" TEXT,
    "archiverServerId" INTEGER NOT NULL DEFAULT 99999,
    "archiveTargetId" TEXT,
    "archiveCompress" BOOLEAN NOT NULL DEFAULT true,
    "archiveRotateSize" INTEGER,
    "introspection" TEXT,
    "introspectedAt" DATETIME,
    "introspectionError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "agentId" TEXT,
    CONSTRAINT "Host_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Host" ("archiveCompress", "archiveRotateSize", "archiveTargetId", "archiverServerId", "createdAt", "datadir", "environment", "host", "id", "introspectedAt", "introspection", "introspectionError", "isVerificationHost", "labels", "name", "passwordEnc", "port", "socket", "tlsCa", "tlsMode", "updatedAt", "user") SELECT "archiveCompress", "archiveRotateSize", "archiveTargetId", "archiverServerId", "createdAt", "datadir", "environment", "host", "id", "introspectedAt", "introspection", "introspectionError", "isVerificationHost", "labels", "name", "passwordEnc", "port", "socket", "tlsCa", "tlsMode", "updatedAt", "user" FROM "Host";
DROP TABLE "Host";
ALTER TABLE "new_Host" RENAME TO "Host";
CREATE UNIQUE INDEX "Host_name_key" ON "Host"("name");
CREATE TABLE "new_Run" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "hostId" TEXT,
    "policyId" TEXT,
    "backupId" TEXT,
    "params" TEXT NOT NULL DEFAULT '{}',
    "progress" TEXT NOT NULL DEFAULT '{}',
    "result" TEXT,
    "error" TEXT,
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "notBefore" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseOwner" TEXT,
    "leaseExpiresAt" DATETIME,
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "fence" INTEGER NOT NULL DEFAULT 0,
    "idempotencyKey" TEXT,
    "createdById" TEXT,
    "queuedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Run_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Run_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "Policy" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Run_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("attempt", "backupId", "cancelRequested", "createdById", "error", "finishedAt", "hostId", "id", "idempotencyKey", "kind", "leaseExpiresAt", "leaseOwner", "maxAttempts", "notBefore", "params", "policyId", "progress", "queuedAt", "result", "startedAt", "state") SELECT "attempt", "backupId", "cancelRequested", "createdById", "error", "finishedAt", "hostId", "id", "idempotencyKey", "kind", "leaseExpiresAt", "leaseOwner", "maxAttempts", "notBefore", "params", "policyId", "progress", "queuedAt", "result", "startedAt", "state" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE UNIQUE INDEX "Run_idempotencyKey_key" ON "Run"("idempotencyKey");
CREATE INDEX "Run_state_notBefore_idx" ON "Run"("state", "notBefore");
CREATE INDEX "Run_hostId_queuedAt_idx" ON "Run"("hostId", "queuedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Agent_name_key" ON "Agent"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Agent_tokenHash_key" ON "Agent"("tokenHash");

