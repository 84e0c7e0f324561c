-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL DEFAULT '',
    "passwordHash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "lastLoginAt" DATETIME
);

-- CreateTable
CREATE TABLE "Host" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "host" TEXT NOT NULL DEFAULT '',
    "port" INTEGER NOT NULL DEFAULT 3306,
    "socket" TEXT,
    "user" TEXT NOT NULL,
    "passwordEnc" TEXT,
    "tlsMode" TEXT NOT NULL DEFAULT 'preferred',
    "tlsCa" TEXT,
    "environment" TEXT NOT NULL DEFAULT 'production',
    "labels" TEXT NOT NULL DEFAULT '[]',
    "isVerificationHost" BOOLEAN NOT NULL DEFAULT false,
    "datadir" TEXT,
    "archiverServerId" INTEGER NOT NULL DEFAULT 99999,
    "introspection" TEXT,
    "introspectedAt" DATETIME,
    "introspectionError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "StorageTarget" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "path" TEXT,
    "endpoint" TEXT,
    "region" TEXT,
    "bucket" TEXT,
    "prefix" TEXT NOT NULL DEFAULT '',
    "forcePathStyle" BOOLEAN NOT NULL DEFAULT false,
    "accessKeyId" TEXT,
    "secretEnc" TEXT,
    "sse" TEXT NOT NULL DEFAULT 'none',
    "kmsKeyId" TEXT,
    "partSize" INTEGER NOT NULL DEFAULT 10485760,
    "workers" INTEGER NOT NULL DEFAULT 4,
    "lastTestAt" DATETIME,
    "lastTestOk" BOOLEAN,
    "lastTestError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Policy" (
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
    "encryption" BOOLEAN NOT NULL DEFAULT false,
    "encryptionKeyEnc" TEXT,
    "retention" TEXT NOT NULL DEFAULT '{"mode":"count","keep":7}',
    "verifySchedule" TEXT,
    "binlogArchiving" BOOLEAN NOT NULL DEFAULT false,
    "staleAfterMinutes" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "lastScheduledFor" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Policy_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Policy_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "StorageTarget" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Run" (
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
    "idempotencyKey" TEXT,
    "createdById" TEXT,
    "queuedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Run_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Run_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "Policy" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Run_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RunLog" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "runId" TEXT NOT NULL,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "level" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    CONSTRAINT "RunLog_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Backup" (
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
    "verifyState" TEXT NOT NULL DEFAULT 'unverified',
    "verifiedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Backup_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Backup_policyId_fkey" FOREIGN KEY ("policyId") REFERENCES "Policy" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Backup_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "StorageTarget" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "BinlogSegment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "hostId" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "fileName" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "startPos" BIGINT NOT NULL,
    "endPos" BIGINT NOT NULL,
    "firstEventAt" DATETIME,
    "lastEventAt" DATETIME,
    "gtidStart" TEXT,
    "gtidEnd" TEXT,
    "serverId" INTEGER,
    "sizeBytes" BIGINT NOT NULL,
    "storedBytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "compressed" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "BinlogSegment_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "BinlogSegment_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "StorageTarget" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ArchiverState" (
    "hostId" TEXT NOT NULL PRIMARY KEY,
    "file" TEXT,
    "position" BIGINT,
    "gtid" TEXT,
    "lastEventAt" DATETIME,
    "serverLatestAt" DATETIME,
    "lagSeconds" REAL,
    "serverId" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'stopped',
    "message" TEXT,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ArchiverState_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Verification" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "backupId" TEXT NOT NULL,
    "runId" TEXT,
    "kind" TEXT NOT NULL DEFAULT 'restore',
    "result" TEXT NOT NULL,
    "checks" TEXT NOT NULL DEFAULT '[]',
    "durationMs" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Verification_backupId_fkey" FOREIGN KEY ("backupId") REFERENCES "Backup" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "NotificationChannel" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "configEnc" TEXT NOT NULL,
    "events" TEXT NOT NULL DEFAULT '["failure","stale","verify-failure"]',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "lastSentAt" DATETIME,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" TEXT,
    "actorEmail" TEXT,
    "action" TEXT NOT NULL,
    "targetType" TEXT,
    "targetId" TEXT,
    "details" TEXT NOT NULL DEFAULT '{}'
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Host_name_key" ON "Host"("name");

-- CreateIndex
CREATE UNIQUE INDEX "StorageTarget_name_key" ON "StorageTarget"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Policy_name_key" ON "Policy"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Run_idempotencyKey_key" ON "Run"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Run_state_notBefore_idx" ON "Run"("state", "notBefore");

-- CreateIndex
CREATE INDEX "Run_hostId_queuedAt_idx" ON "Run"("hostId", "queuedAt");

-- CreateIndex
CREATE INDEX "RunLog_runId_id_idx" ON "RunLog"("runId", "id");

-- CreateIndex
CREATE INDEX "Backup_hostId_finishedAt_idx" ON "Backup"("hostId", "finishedAt");

-- CreateIndex
CREATE INDEX "BinlogSegment_hostId_firstEventAt_idx" ON "BinlogSegment"("hostId", "firstEventAt");

-- CreateIndex
CREATE UNIQUE INDEX "BinlogSegment_hostId_fileName_startPos_key" ON "BinlogSegment"("hostId", "fileName", "startPos");

-- CreateIndex
CREATE UNIQUE INDEX "NotificationChannel_name_key" ON "NotificationChannel"("name");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

