import crypto from "node:crypto";
import { DomainError } from "../errors";
import { derivedKey } from "./key";

// Secrets at rest in the catalog: "v1:" + base64(iv(12) | tag(16) | ciphertext), AES-256-GCM
// with a key derived from the master key. The associated data binds a secret to its row/column so
// a sealed value cannot be moved to another row unnoticed.

const PREFIX = "v1:";

export function seal(plaintext: string, context: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", derivedKey("catalog-secrets"), iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64");
}

export function unseal(sealed: string, context: string): string {
  if (!sealed.startsWith(PREFIX)) throw new DomainError("PRECONDITION", "A stored secret has an unknown format (the catalog row was written by something other than dbbackup, or damaged): re-enter the secret.");
  const raw = Buffer.from(sealed.slice(PREFIX.length), "base64");
  const decipher = crypto.createDecipheriv("aes-256-gcm", derivedKey("catalog-secrets"), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    throw new DomainError(
      "PRECONDITION",
      "a stored secret cannot be decrypted: the secret key changed (DBBACKUP_SECRET_KEY or data/secret.key). Restore the original key or re-enter the secret.",
    );
  }
}

export function sealOptional(plaintext: string | null | undefined, context: string): string | null {
  return plaintext ? seal(plaintext, context) : null;
}
