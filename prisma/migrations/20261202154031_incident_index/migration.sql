-- CreateTable
CREATE TABLE "BinlogIncident" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "hostId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "occurredAt" DATETIME NOT NULL,
    "gtid" TEXT,
    "fileName" TEXT NOT NULL,
    "startPos" BIGINT NOT NULL,
    "endPos" BIGINT NOT NULL,
    "eventPos" BIGINT NOT NULL,
    "tableName" TEXT NOT NULL DEFAULT '',
    "tables" TEXT NOT NULL DEFAULT '',
    "schemaName" TEXT,
    "statement" TEXT,
    "rowCount" INTEGER,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "threadId" INTEGER,
    "serverId" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "BinlogIncident_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "BinlogIncidentScan" (
    "segmentId" TEXT NOT NULL PRIMARY KEY,
    "scannedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "incidents" INTEGER NOT NULL,
    "bytes" BIGINT NOT NULL,
    "ms" INTEGER NOT NULL,
    "error" TEXT,
    CONSTRAINT "BinlogIncidentScan_segmentId_fkey" FOREIGN KEY ("segmentId") REFERENCES "BinlogSegment" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- AlterTable (a column with a default: no table rebuild)
ALTER TABLE "Policy" ADD COLUMN "incidentRows" INTEGER NOT NULL DEFAULT 10000;

-- CreateIndex
CREATE INDEX "BinlogIncident_hostId_occurredAt_idx" ON "BinlogIncident"("hostId", "occurredAt");

-- CreateIndex
CREATE UNIQUE INDEX "BinlogIncident_hostId_fileName_eventPos_kind_tableName_key" ON "BinlogIncident"("hostId", "fileName", "eventPos", "kind", "tableName");

