import crypto from "node:crypto";
import fs from "node:fs/promises";
import { errorMessage } from "../errors";
import { explainFsError, LocalStore } from "./local-store";
import type { ObjectStore } from "./object-store";

export type TargetTestStep = { step: "prepare" | "write" | "read" | "compare" | "delete"; ok: boolean; ms: number; message?: string };
export type TargetTestResult = { ok: boolean; location: string; steps: TargetTestStep[]; message: string };

/**
 * Writes a probe object, reads it back, compares and deletes it, reporting which step failed.
 * Nothing is left behind even when a step fails.
 */
export async function testStore(store: ObjectStore): Promise<TargetTestResult> {
  const key = `.dbbackup-probe-${crypto.randomBytes(6).toString("hex")}`;
  const body = crypto.randomBytes(4096);
  const steps: TargetTestStep[] = [];
  const location = store.describe();
  const run = async (step: TargetTestStep["step"], fn: () => Promise<void>) => {
    const t0 = Date.now();
    try {
      await fn();
      steps.push({ step, ok: true, ms: Date.now() - t0 });
      return true;
    } catch (e) {
      steps.push({ step, ok: false, ms: Date.now() - t0, message: errorMessage(e) });
      return false;
    }
  };
  let ok = true;
  if (store instanceof LocalStore) {
    ok = await run("prepare", async () => {
      try {
        await fs.mkdir(store.root, { recursive: true });
      } catch (e) {
        throw explainFsError(e, store.root);
      }
    });
  }
  let wrote = false;
  if (ok) ok = wrote = await run("write", () => store.put(key, body));
  let read: Buffer | undefined;
  if (ok) ok = await run("read", async () => void (read = await store.getBuffer(key)));
  if (ok)
    ok = await run("compare", async () => {
      if (!read || !read.equals(body)) throw new Error(`read back ${read?.length ?? 0} bytes that differ from the ${body.length} written`);
    });
  if (wrote) {
    const deleted = await run("delete", async () => {
      await store.delete(key);
      if (await store.head(key)) throw new Error("the probe object is still there after delete (is delete permission missing?)");
    });
    ok = ok && deleted;
  }
  const failed = steps.find((s) => !s.ok);
  return {
    ok,
    location,
    steps,
    message: failed ? `${failed.step} failed at ${location}: ${failed.message}` : `Wrote, read back and deleted a probe object at ${location}.`,
  };
}
