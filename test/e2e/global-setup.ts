import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSandbox } from "../../server/mysql/sandbox";
import { startS3 } from "../helpers/s3";
import { envFile, type E2EEnv } from "./env";

// A sandbox MariaDB with a small sample schema and an S3-protocol server, for the whole run.
export default async function globalSetup() {
  const sb = await startSandbox();
  await sb.sql(`CREATE DATABASE shop;
    CREATE TABLE shop.customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(64) NOT NULL, email VARCHAR(128), created DATETIME(3));
    INSERT INTO shop.customers (name, email, created) VALUES ('Ada','ada@example.com',NOW(3)),('Linus','linus@example.com',NOW(3)),('Grace',NULL,NOW(3));
    CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, customer_id INT, total DECIMAL(12,2), note JSON);
    INSERT INTO shop.orders VALUES (1,1,10.50,'{"gift":true}'),(2,2,99.99,NULL),(3,1,0.01,'[]');`);
  const s3 = await startS3("e2e-bucket");
  const localTargetDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-e2e-local-"));
  const env: E2EEnv = { mariadbPort: sb.port, sandboxDir: sb.dir, s3Endpoint: s3.endpoint, s3Bucket: s3.bucket, s3Dir: s3.dir, localTargetDir };
  fs.mkdirSync(path.dirname(envFile), { recursive: true });
  fs.writeFileSync(envFile, JSON.stringify(env));
  (globalThis as { __e2e?: unknown }).__e2e = { sb, s3, localTargetDir };
}
