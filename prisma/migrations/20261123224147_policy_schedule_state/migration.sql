-- AlterTable
ALTER TABLE "Policy" ADD COLUMN "lastVerifyScheduledFor" DATETIME;
ALTER TABLE "Policy" ADD COLUMN "staleNotifiedAt" DATETIME;

