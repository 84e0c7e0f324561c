// Domain errors. Domain code throws these; the transport (tRPC, route handlers, CLI) maps them.
// Every message should say what failed, where, and what to do.

export type DomainErrorCode =
  | "NOT_FOUND"
  | "FORBIDDEN"
  | "UNAUTHORIZED"
  | "INVALID"
  | "CONFLICT"
  | "PRECONDITION"
  | "UNAVAILABLE"
  | "TOO_MANY_REQUESTS"
  | "INTERNAL";

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  /** The input field that caused the error, for forms. */
  readonly field?: string;
  /** True when retrying the same work later may succeed (network, lock wait, S3 5xx). */
  readonly retryable: boolean;
  constructor(code: DomainErrorCode, message: string, opts: { field?: string; retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = "DomainError";
    this.code = code;
    this.field = opts.field;
    this.retryable = opts.retryable ?? false;
  }
}

export const notFound = (what: string, id: string) => new DomainError("NOT_FOUND", `${what} ${JSON.stringify(id)} does not exist (it may have been deleted).`);
export const invalid = (field: string, message: string) => new DomainError("INVALID", message, { field });
export const conflict = (field: string, message: string) => new DomainError("CONFLICT", message, { field });
export const forbidden = (message: string) => new DomainError("FORBIDDEN", message);
export const precondition = (message: string, field?: string) => new DomainError("PRECONDITION", message, { field });
export const unavailable = (message: string, cause?: unknown) => new DomainError("UNAVAILABLE", message, { retryable: true, cause });

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** A one-line message for logs and CLI output, whatever was thrown. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
