import pino from "pino";

/** Process-wide structured logger. Never log secrets: redact the usual suspects by key. */
export const logger = pino({
  level: process.env.DBBACKUP_LOG_LEVEL || (process.env.NODE_ENV === "test" ? "warn" : "info"),
  redact: { paths: ["password", "*.password", "secretAccessKey", "*.secretAccessKey", "passwordEnc", "secretEnc"], censor: "[redacted]" },
  base: undefined,
});
