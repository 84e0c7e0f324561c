import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
    environment: "node",
    setupFiles: ["test/helpers/setup.ts"],
    pool: "forks",
    // Integration tests start their own MariaDB instances and S3 servers; two files at a time on this 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: "test", DBBACKUP_LOG_LEVEL: "warn" },
  },
});
