import fs from "node:fs";
import path from "node:path";

/** Facts the global setup shares with the tests (the sandbox MariaDB and the S3 server). */
export type E2EEnv = { mariadbPort: number; mariadbPid?: number; sandboxDir: string; s3Endpoint: string; s3Bucket: string; s3Dir: string; localTargetDir: string };

export const envFile = path.resolve("test-results/e2e-env.json");
export const adminStateFile = path.resolve("test-results/.auth/admin.json");
export const ADMIN = { email: "admin@example.test", password: "first-admin-pass-123" };

export function e2eEnv(): E2EEnv {
  return JSON.parse(fs.readFileSync(envFile, "utf8")) as E2EEnv;
}
