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
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Host" ("archiveCompress", "archiveRotateSize", "archiveTargetId", "archiverServerId", "createdAt", "datadir", "environment", "host", "id", "introspectedAt", "introspection", "introspectionError", "isVerificationHost", "labels", "name", "passwordEnc", "port", "socket", "tlsCa", "tlsMode", "updatedAt", "user") SELECT "archiveCompress", "archiveRotateSize", "archiveTargetId", "archiverServerId", "createdAt", "datadir", "environment", "host", "id", "introspectedAt", "introspection", "introspectionError", "isVerificationHost", "labels", "name", "passwordEnc", "port", "socket", "tlsCa", "tlsMode", "updatedAt", "user" FROM "Host";
DROP TABLE "Host";
ALTER TABLE "new_Host" RENAME TO "Host";
CREATE UNIQUE INDEX "Host_name_key" ON "Host"("name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

