import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DomainError } from "../errors";
import { dataDir } from "../env";

let cached: { source: string; key: Buffer } | undefined;

/**
 * The catalog's master key (32 bytes). From DBBACKUP_SECRET_KEY (any string; hashed to 32 bytes)
 * or from <data dir>/secret.key, generated on first use with mode 0600.
 * Losing it makes stored host passwords and S3 keys unreadable; back it up with the catalog.
 */
export function masterKey(): Buffer {
  const env = process.env.DBBACKUP_SECRET_KEY;
  const source = env ? `env:${env}` : `file:${path.join(dataDir(), "secret.key")}`;
  if (cached?.source === source) return cached.key;
  let key: Buffer;
  if (env) {
    key = crypto.createHash("sha256").update(env, "utf8").digest();
  } else {
    const file = path.join(dataDir(), "secret.key");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) {
      try {
        fs.writeFileSync(file, crypto.randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    const raw = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
    if (raw.length !== 32) throw new DomainError("PRECONDITION", `${file} does not hold a 32-byte base64 key; restore it from backup or remove it (stored secrets will then need to be re-entered).`);
    key = raw;
  }
  cached = { source, key };
  return key;
}

/** A key for a given purpose, derived from the master key (HKDF), so one secret serves many uses. */
export function derivedKey(purpose: string, length = 32): Buffer {
  return Buffer.from(crypto.hkdfSync("sha256", masterKey(), Buffer.alloc(0), Buffer.from(purpose, "utf8"), length));
}
