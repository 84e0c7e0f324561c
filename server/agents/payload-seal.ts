import crypto from "node:crypto";

// Secrets for an agent's run travel sealed, on top of TLS: the agent sends a fresh X25519 public
// key with each claim, the server seals the payload with AES-256-GCM under a key derived by HKDF
// from the ECDH secret, salted with the agent token's hash and bound to the run and fence. Only the
// process holding the private key (in memory, never on disk) can open it; a copy of the request
// log, a proxy or the catalog's token hash cannot.

export type SealedPayload = { alg: "X25519-HKDF-SHA256-AES-256-GCM"; epk: string; iv: string; ct: string; tag: string };

const INFO = "dbbackup agent payload v1";

function deriveKey(shared: Buffer, tokenHash: string, context: string): Buffer {
  return Buffer.from(crypto.hkdfSync("sha256", shared, Buffer.from(tokenHash, "hex"), Buffer.from(`${INFO}|${context}`), 32));
}

/** An ephemeral key pair for one claim; send `publicKey` (base64 DER) to the server. */
export function agentKeyPair(): { publicKey: string; privateKey: crypto.KeyObject } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("x25519");
  return { publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"), privateKey };
}

/** Server side: seals `value` (JSON) for the holder of the private key matching `agentPublicKey`. */
export function sealForAgent(value: unknown, agentPublicKey: string, tokenHash: string, context: string): SealedPayload {
  const peer = crypto.createPublicKey({ key: Buffer.from(agentPublicKey, "base64"), format: "der", type: "spki" });
  if (peer.asymmetricKeyType !== "x25519") throw new Error("the agent's public key is not an X25519 key");
  const eph = crypto.generateKeyPairSync("x25519");
  const key = deriveKey(crypto.diffieHellman({ privateKey: eph.privateKey, publicKey: peer }), tokenHash, context);
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(context));
  const ct = Buffer.concat([c.update(JSON.stringify(value), "utf8"), c.final()]);
  return { alg: "X25519-HKDF-SHA256-AES-256-GCM", epk: eph.publicKey.export({ type: "spki", format: "der" }).toString("base64"), iv: iv.toString("base64"), ct: ct.toString("base64"), tag: c.getAuthTag().toString("base64") };
}

/** Agent side: opens a payload sealed for its key pair (throws if anything was altered). */
export function openSealed<T>(p: SealedPayload, privateKey: crypto.KeyObject, tokenHash: string, context: string): T {
  const epk = crypto.createPublicKey({ key: Buffer.from(p.epk, "base64"), format: "der", type: "spki" });
  const key = deriveKey(crypto.diffieHellman({ privateKey, publicKey: epk }), tokenHash, context);
  const d = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(p.iv, "base64"));
  d.setAAD(Buffer.from(context));
  d.setAuthTag(Buffer.from(p.tag, "base64"));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(p.ct, "base64")), d.final()]).toString("utf8")) as T;
}
