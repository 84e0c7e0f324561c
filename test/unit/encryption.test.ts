import crypto from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { DecryptStream, EncryptStream, keyId, parseKey } from "../../server/artifact/encryption";

async function run(stream: NodeJS.ReadWriteStream, input: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const src = Readable.from(input);
  const piped = src.pipe(stream as never) as unknown as AsyncIterable<Buffer>;
  for await (const c of piped) out.push(c);
  return Buffer.concat(out);
}

const key = crypto.randomBytes(32);

describe("chunked AES-256-GCM", () => {
  for (const size of [0, 1, 1000, 4096, 4097, 3 * 4096, 50_000]) {
    it(`round-trips ${size} bytes`, async () => {
      const data = crypto.randomBytes(size);
      const enc = await run(new EncryptStream(key, 4096), [data.subarray(0, size >> 1), data.subarray(size >> 1)]);
      expect(enc.length).toBe(43 + size + 16 * Math.max(1, Math.ceil(size / 4096)));
      const dec = await run(new DecryptStream(key), [enc]);
      expect(dec.equals(data)).toBe(true);
    });
  }

  it("detects a flipped byte", async () => {
    const enc = await run(new EncryptStream(key, 4096), [crypto.randomBytes(10_000)]);
    enc[100]! ^= 0x01;
    await expect(run(new DecryptStream(key), [enc])).rejects.toThrow(/failed authentication/);
  });

  it("detects truncation at a chunk boundary", async () => {
    const enc = await run(new EncryptStream(key, 4096), [crypto.randomBytes(3 * 4096 + 10)]);
    const cut = enc.subarray(0, 43 + 2 * (4096 + 16));
    await expect(run(new DecryptStream(key), [cut])).rejects.toThrow(/truncated/);
  });

  it("detects reordered chunks", async () => {
    const enc = await run(new EncryptStream(key, 4096), [crypto.randomBytes(3 * 4096 + 10)]);
    const h = enc.subarray(0, 43);
    const c = (i: number) => enc.subarray(43 + i * 4112, 43 + (i + 1) * 4112);
    const swapped = Buffer.concat([h, c(1), c(0), c(2), enc.subarray(43 + 3 * 4112)]);
    await expect(run(new DecryptStream(key), [swapped])).rejects.toThrow(/failed authentication/);
  });

  it("names the wrong key", async () => {
    const enc = await run(new EncryptStream(key, 4096), [Buffer.from("hello")]);
    const other = crypto.randomBytes(32);
    await expect(run(new DecryptStream(other), [enc])).rejects.toThrow(new RegExp(`encrypted with key ${keyId(key)}, but the key given is ${keyId(other)}`));
  });

  it("parses hex keys, base64 keys and passphrases", () => {
    expect(parseKey(key.toString("hex")).equals(key)).toBe(true);
    expect(parseKey(key.toString("base64")).equals(key)).toBe(true);
    expect(parseKey("a long passphrase here").length).toBe(32);
    expect(() => parseKey("short")).toThrow(/too short/);
  });
});
