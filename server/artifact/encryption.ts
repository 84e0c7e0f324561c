import crypto from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { DomainError } from "../errors";

/**
 * Client-side encryption of backup objects: AES-256-GCM in authenticated chunks.
 *
 * Layout: header | chunk* where
 *   header = "DBBKENC1" (8) | chunkSize u32 BE (4) | salt (16) | noncePrefix (7) | keyId (8)   = 43 bytes
 *   chunk  = ciphertext (chunkSize bytes, the last one may be shorter) | tag (16)
 * Each object gets its own key, HKDF-SHA256(master key, salt, "dbbackup object"), so nonces never
 * repeat across objects. The nonce of chunk i is noncePrefix | i (u32 BE) | final flag (1 byte):
 * reordered chunks fail authentication, and a stream that ends without a chunk flagged final was
 * truncated. The header is authenticated as associated data of every chunk.
 * The key itself is never stored; the manifest records only its id (keyId), so a wrong key is named.
 */

const MAGIC = Buffer.from("DBBKENC1");
const HEADER = 8 + 4 + 16 + 7 + 8;
const TAG = 16;
export const DEFAULT_CHUNK = 1 << 20;

/** A short public identifier of a key (first 8 bytes of HMAC-SHA256(key, "dbbackup key id")), hex. */
export function keyId(key: Buffer): string {
  return crypto.createHmac("sha256", key).update("dbbackup key id").digest().subarray(0, 8).toString("hex");
}

/** Accepts a 32-byte key as raw bytes, 64 hex chars or base64; anything else is hashed as a passphrase. */
export function parseKey(material: string | Buffer): Buffer {
  if (Buffer.isBuffer(material)) {
    if (material.length === 32) return material;
    material = material.toString("utf8");
  }
  const s = material.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, "hex");
  const b = Buffer.from(s, "base64");
  if (b.length === 32 && b.toString("base64").replace(/=+$/, "") === s.replace(/=+$/, "")) return b;
  if (s.length < 12) throw new DomainError("INVALID", "The encryption passphrase is too short: use at least 12 characters or a 32-byte key (64 hex characters).");
  return crypto.createHash("sha256").update("dbbackup passphrase:" + s).digest();
}

export function generateKey(): Buffer {
  return crypto.randomBytes(32);
}

function objectKey(master: Buffer, salt: Buffer) {
  return Buffer.from(crypto.hkdfSync("sha256", master, salt, Buffer.from("dbbackup object"), 32));
}

function nonce(prefix: Buffer, i: number, final: boolean) {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0, 0, 7);
  n.writeUInt32BE(i, 7);
  n[11] = final ? 1 : 0;
  return n;
}

export class EncryptStream extends Transform {
  private readonly key: Buffer;
  private readonly header: Buffer;
  private readonly prefix: Buffer;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private index = 0;
  constructor(master: Buffer, private readonly chunkSize = DEFAULT_CHUNK) {
    super({ highWaterMark: 1 << 20 });
    const salt = crypto.randomBytes(16);
    this.prefix = crypto.randomBytes(7);
    this.key = objectKey(master, salt);
    const cs = Buffer.alloc(4);
    cs.writeUInt32BE(chunkSize);
    this.header = Buffer.concat([MAGIC, cs, salt, this.prefix, Buffer.from(keyId(master), "hex")]);
    this.push(this.header);
  }

  private seal(plain: Buffer, final: boolean) {
    const c = crypto.createCipheriv("aes-256-gcm", this.key, nonce(this.prefix, this.index++, final));
    c.setAAD(this.header);
    const out = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    this.push(out);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    // keep at least one byte back so the final chunk is always flagged final
    while (this.pendingLen > this.chunkSize) {
      const all = Buffer.concat(this.pending, this.pendingLen);
      this.seal(all.subarray(0, this.chunkSize), false);
      const rest = all.subarray(this.chunkSize);
      this.pending = [rest];
      this.pendingLen = rest.length;
    }
    cb();
  }

  override _flush(cb: TransformCallback) {
    this.seal(Buffer.concat(this.pending, this.pendingLen), true);
    cb();
  }
}

export class DecryptStream extends Transform {
  private header: Buffer | null = null;
  private key: Buffer | null = null;
  private chunkSize = 0;
  private prefix: Buffer | null = null;
  private buf: Buffer[] = [];
  private bufLen = 0;
  private index = 0;
  private sawFinal = false;
  constructor(private readonly master: Buffer, private readonly what = "backup object") {
    super({ highWaterMark: 1 << 20 });
  }

  private takeBytes(n: number): Buffer {
    const all = this.buf.length === 1 ? this.buf[0]! : Buffer.concat(this.buf, this.bufLen);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buf = rest.length ? [rest] : [];
    this.bufLen = rest.length;
    return out;
  }

  private open(sealed: Buffer, final: boolean) {
    if (this.sawFinal) throw new DomainError("INVALID", `${this.what}: data after the final encrypted chunk (the object was tampered with or concatenated).`);
    const d = crypto.createDecipheriv("aes-256-gcm", this.key!, nonce(this.prefix!, this.index, final));
    d.setAAD(this.header!);
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    try {
      const plain = Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
      this.index++;
      if (final) this.sawFinal = true;
      return plain;
    } catch {
      return null;
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
    try {
      this.buf.push(chunk);
      this.bufLen += chunk.length;
      if (!this.header) {
        if (this.bufLen < HEADER) return cb();
        const h = this.takeBytes(HEADER);
        if (!h.subarray(0, 8).equals(MAGIC)) throw new DomainError("INVALID", `${this.what} is not a dbbackup encrypted object (bad header).`);
        const id = h.subarray(35, 43).toString("hex");
        const mine = keyId(this.master);
        if (id !== mine) throw new DomainError("PRECONDITION", `${this.what} was encrypted with key ${id}, but the key given is ${mine}. Use the key the backup was made with.`);
        this.header = Buffer.from(h);
        this.chunkSize = h.readUInt32BE(8);
        this.key = objectKey(this.master, h.subarray(12, 28));
        this.prefix = h.subarray(28, 35);
      }
      // a full chunk followed by more data is not final; the last (possibly short) chunk is decided at flush
      while (this.bufLen > this.chunkSize + TAG) {
        const plain = this.open(this.takeBytes(this.chunkSize + TAG), false);
        if (!plain) throw new DomainError("INVALID", `${this.what}: encrypted chunk ${this.index} failed authentication (corrupted, reordered or wrong key).`);
        this.push(plain);
      }
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback) {
    try {
      if (!this.header) throw new DomainError("INVALID", `${this.what} is truncated: no complete encryption header.`);
      if (this.bufLen < TAG) throw new DomainError("INVALID", `${this.what} is truncated: the final encrypted chunk is missing.`);
      const last = this.takeBytes(this.bufLen);
      const plain = this.open(last, true);
      if (!plain) {
        throw new DomainError("INVALID", `${this.what} is truncated or corrupted: its last chunk is not the final one, or failed authentication.`);
      }
      this.push(plain);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}
