import { DomainError, errorMessage } from "../server/errors";

/**
 * A wrong command line or configuration file, found before any work was done: exit code 2.
 * Everything that fails while working exits 1 (130 when interrupted).
 */
export class UsageError extends DomainError {
  constructor(message: string) {
    super("INVALID", message);
    this.name = "UsageError";
  }
}

/** Runs the checks of a command's arguments; whatever they throw is a usage error. */
export async function usage<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(errorMessage(e));
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;
