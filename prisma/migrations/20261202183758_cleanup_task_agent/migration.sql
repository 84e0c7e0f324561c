-- AlterTable
ALTER TABLE "CleanupTask" ADD COLUMN "agentId" TEXT;

-- CreateIndex
CREATE INDEX "CleanupTask_agentId_idx" ON "CleanupTask"("agentId");

