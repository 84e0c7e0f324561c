import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import type { Role } from "../../server/auth/roles";
import { closeDb } from "../../server/db/client";
import { createCaller } from "../../server/trpc/root";
import type { SessionUser } from "../../server/trpc/context";
import { createUser } from "../../server/users/create-user";

/**
 * Points this test file at a fresh catalog (and secret key) in a temp directory. Call at the top
 * level of a test file, before anything touches the catalog.
 */
export function useTempCatalog(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-catalog-"));
  process.env.DBBACKUP_DATA_DIR = dir;
  delete process.env.DBBACKUP_SECRET_KEY;
  afterAll(async () => {
    await closeDb();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

let n = 0;
/** Creates a user with a role (unique email) and returns it as a session user. */
export async function makeUser(role: Role): Promise<SessionUser> {
  const u = await createUser({ email: `${role}-${process.pid}-${++n}@example.test`, role, password: "correct horse battery", actor: { system: "test" } });
  return { id: u.id, email: u.email, name: u.name, role: u.role };
}

/** A tRPC caller as this user (or anonymous), going through every middleware as a request would. */
export function callerAs(user: SessionUser | null) {
  return createCaller({ user, ip: "test" });
}

/** Calls fn and returns the tRPC error code it failed with, or "OK". */
export async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return "OK";
  } catch (e) {
    return (e as { code?: string }).code ?? "UNKNOWN";
  }
}

/** The error of a call that must fail (fails the test if it succeeds). */
export async function failure(fn: () => Promise<unknown>): Promise<{ code: string; message: string; fieldErrors?: Record<string, string[]> }> {
  try {
    await fn();
  } catch (e) {
    const err = e as { code?: string; message: string; cause?: { field?: string; message?: string; issues?: { path: (string | number)[]; message: string }[] } };
    const fieldErrors: Record<string, string[]> = {};
    if (err.cause?.issues) for (const i of err.cause.issues) (fieldErrors[i.path.join(".")] ??= []).push(i.message);
    if (err.cause?.field) (fieldErrors[err.cause.field] ??= []).push(err.cause.message ?? err.message);
    return { code: err.code ?? "UNKNOWN", message: err.message, fieldErrors };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
