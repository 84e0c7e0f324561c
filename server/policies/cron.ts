import { Cron } from "croner";
import { DomainError } from "../errors";

/** Validates a cron expression and IANA time zone; returns a message for the field at fault, or null. */
export function cronProblem(expr: string, timezone: string): { field: "schedule" | "timezone"; message: string } | null {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    return { field: "timezone", message: `Unknown time zone ${JSON.stringify(timezone)}; use an IANA name like UTC or Europe/Berlin.` };
  }
  try {
    new Cron(expr, { paused: true, timezone }).nextRun();
  } catch (e) {
    return { field: "schedule", message: `Not a valid cron expression: ${(e as Error).message.replace(/^CronPattern: /, "")}. Example: "0 3 * * *" (03:00 every day).` };
  }
  return null;
}

function cron(expr: string, timezone: string) {
  const p = cronProblem(expr, timezone);
  if (p) throw new DomainError("INVALID", p.message, { field: p.field });
  return new Cron(expr, { paused: true, timezone });
}

/** The next n fire times after `from`. */
export function nextRuns(expr: string, timezone: string, n: number, from = new Date()): Date[] {
  return cron(expr, timezone).nextRuns(n, from);
}

/**
 * Fire times in (after, now]. Bounded: after a long outage only the latest `limit` are returned, so a
 * caller that runs "once after downtime" only needs the last one.
 */
export function dueTimes(expr: string, timezone: string, after: Date, now: Date, limit = 1000): Date[] {
  const c = cron(expr, timezone);
  const out: Date[] = [];
  let t: Date | null = c.nextRun(after);
  while (t && t.getTime() <= now.getTime()) {
    out.push(t);
    if (out.length > limit) out.shift();
    t = c.nextRun(t);
  }
  return out;
}
