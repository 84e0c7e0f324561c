import type { LogLevel } from "../work-context";
import { db } from "../db/client";

export async function appendRunLog(runId: string, level: LogLevel, message: string) {
  await db().runLog.create({ data: { runId, level, message: message.slice(0, 4000) } });
}
