import { DomainError } from "../server/errors";

/** The work was stopped by Ctrl-C / SIGTERM and cleaned up: exit code 130. */
export class Interrupted extends DomainError {
  constructor(message: string) {
    super("UNAVAILABLE", message);
    this.name = "Interrupted";
  }
}
