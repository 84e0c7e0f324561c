-- AlterTable
ALTER TABLE "Backup" ADD COLUMN "consistentAt" DATETIME;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_BinlogSegment" (
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
    "storedSha256" TEXT,
    "compressed" BOOLEAN NOT NULL DEFAULT false,
    "byteOffset" BIGINT NOT NULL DEFAULT 0,
    "endedBy" TEXT NOT NULL DEFAULT 'rotate',
    "fileComplete" BOOLEAN NOT NULL DEFAULT false,
    "gtidStateEnd" TEXT,
    "eventCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "BinlogSegment_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "BinlogSegment_targetId_fkey" FOREIGN KEY ("targetId") REFERENCES "StorageTarget" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_BinlogSegment" ("compressed", "createdAt", "endPos", "fileName", "firstEventAt", "gtidEnd", "gtidStart", "hostId", "id", "lastEventAt", "location", "serverId", "sha256", "sizeBytes", "startPos", "storedBytes", "targetId") SELECT "compressed", "createdAt", "endPos", "fileName", "firstEventAt", "gtidEnd", "gtidStart", "hostId", "id", "lastEventAt", "location", "serverId", "sha256", "sizeBytes", "startPos", "storedBytes", "targetId" FROM "BinlogSegment";
DROP TABLE "BinlogSegment";
ALTER TABLE "new_BinlogSegment" RENAME TO "BinlogSegment";
CREATE INDEX "BinlogSegment_hostId_firstEventAt_idx" ON "BinlogSegment"("hostId", "firstEventAt");
CREATE UNIQUE INDEX "BinlogSegment_hostId_fileName_startPos_key" ON "BinlogSegment"("hostId", "fileName", "startPos");
CREATE TABLE "new_ArchiverState" (
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
    "runId" TEXT,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ArchiverState_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_ArchiverState" ("file", "gtid", "hostId", "lagSeconds", "lastEventAt", "message", "position", "serverId", "serverLatestAt", "status", "updatedAt") SELECT "file", "gtid", "hostId", "lagSeconds", "lastEventAt", "message", "position", "serverId", "serverLatestAt", "status", "updatedAt" FROM "ArchiverState";
DROP TABLE "ArchiverState";
ALTER TABLE "new_ArchiverState" RENAME TO "ArchiverState";
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

