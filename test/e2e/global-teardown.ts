import fs from "node:fs";

export default async function globalTeardown() {
  const g = (globalThis as { __e2e?: { sb: { stop(): Promise<void> }; s3: { stop(): Promise<void>; dir: string }; localTargetDir: string } }).__e2e;
  if (!g) return;
  await g.sb.stop();
  await g.s3.stop();
  fs.rmSync(g.s3.dir, { recursive: true, force: true });
  fs.rmSync(g.localTargetDir, { recursive: true, force: true });
  if (process.env.E2E_DATA_DIR && !process.env.E2E_KEEP_DATA) fs.rmSync(process.env.E2E_DATA_DIR, { recursive: true, force: true });
}
