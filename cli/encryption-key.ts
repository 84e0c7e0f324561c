import fs from "node:fs";
import { parseKey } from "../server/artifact/encryption";
import { errorMessage } from "../server/errors";
import { UsageError } from "./usage";

/**
 * The client-side encryption key from a file: 64 hex characters, base64 of 32 bytes, or a
 * passphrase (12+ characters). Keys never go on the command line.
 */
export function readKeyFile(file: string, what = "--encryption-key-file"): Buffer {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} ${file}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : errorMessage(e)}`);
  }
  try {
    return parseKey(text);
  } catch (e) {
    throw new UsageError(`${what} ${file}: ${errorMessage(e)}`);
  }
}
