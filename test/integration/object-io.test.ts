import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetWriter } from "../../server/artifact/backup-set";
import { keyId } from "../../server/artifact/encryption";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import { readManifest } from "../../server/artifact/manifest";
import { checkObject, openObjectWriter, readObject } from "../../server/artifact/object-io";
import { LocalStore } from "../../server/storage/local-store";
import { collect } from "../../server/storage/object-store";
import { S3Store } from "../../server/storage/s3-store";
import { s3Leftovers, startS3, type TestS3 } from "../helpers/s3";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-objio-"));
let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const key = crypto.randomBytes(32);
// compressible but not trivial
const data = Buffer.concat(Array.from({ length: 400 }, (_, i) => Buffer.from(`INSERT INTO t VALUES (${i}, '${crypto.randomBytes(40).toString("hex")}');\n`.repeat(50))));

describe("object write/read pipeline", () => {
  for (const compression of ["zstd", "gzip", "none"] as const) {
    for (const encrypted of [false, true]) {
      it(`${compression}${encrypted ? " + AES-GCM" : ""}: round-trips, checksummed while streaming`, async () => {
        const store = new LocalStore(dir);
        const w = openObjectWriter(store, `o-${compression}-${encrypted}`, { compression, key: encrypted ? key : null });
        for (let i = 0; i < data.length; i += 65536) w.input.write(data.subarray(i, i + 65536));
        w.input.end();
        const r = await w.done;
        expect(r.rawSize).toBe(data.length);
        const stored = fs.readFileSync(path.join(dir, r.path));
        expect(r.size).toBe(stored.length);
        expect(r.sha256).toBe(crypto.createHash("sha256").update(stored).digest("hex"));
        if (compression !== "none") expect(r.size).toBeLessThan(data.length);
        const back = await readObject(store, r, { compression, key: encrypted ? key : null });
        expect(back.equals(data)).toBe(true);
      });
    }
  }

  it("a flipped byte in a stored object is detected when read", async () => {
    const store = new LocalStore(dir);
    for (const [compression, k] of [["zstd", null], ["none", null], ["zstd", key]] as const) {
      const w = openObjectWriter(store, `flip-${compression}-${!!k}`, { compression, key: k });
      w.input.end(data);
      const r = await w.done;
      const p = path.join(dir, r.path);
      const b = fs.readFileSync(p);
      b[Math.floor(b.length / 2)]! ^= 0x40;
      fs.writeFileSync(p, b);
      await expect(checkObject(store, r, { compression, key: k })).rejects.toThrow(/corrupted|failed authentication|zstd decompression failed|checksum/);
    }
  });

  it("a backup set to S3 streams by multipart upload; the manifest is written last; abort leaves nothing", async () => {
    const store = new S3Store({ endpoint: s3.endpoint, bucket: s3.bucket, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, partSize: 5 * 1024 * 1024, workers: 3 });
    const big = crypto.randomBytes(12 * 1024 * 1024); // incompressible: 3 parts
    const set = new BackupSetWriter(store, "h1/b1/", { compression: "zstd", key });
    const o = set.object("data/big.bin.zst.enc", { role: "data" });
    o.input.end(big);
    await o.done;
    await set.put("schema.sql.zst.enc", "CREATE TABLE t (id int);", { role: "schema" });
    expect((await collect(store.list("h1/b1/"))).map((x) => x.key)).not.toContain("h1/b1/manifest.json");
    await set.commit({
      format: "dbbackup/1", id: "b1", engine: "logical", layout: "logical-set", host: { name: "h1" }, server: { version: "10.11", flavor: "mariadb" },
      startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), lockMs: 1, coordinates: null,
      compression: { algorithm: "zstd" }, encryption: { algorithm: "AES-256-GCM-chunked", keyId: keyId(key) }, databases: [], details: {},
    });
    const m = await readManifest(store, "h1/b1/");
    expect(m.objects.map((x) => x.path)).toEqual(["data/big.bin.zst.enc", "schema.sql.zst.enc"]);
    const reader = await BackupSetReader.open(store, "h1/b1/", key);
    expect((await reader.read(m.objects[0]!)).equals(big)).toBe(true);
    await expect(BackupSetReader.open(store, "h1/b1/", crypto.randomBytes(32))).rejects.toThrow(/was encrypted with key/);

    const set2 = new BackupSetWriter(store, "h1/b2/", { compression: "zstd", key: null }, { partSize: 5 * 1024 * 1024 });
    const o2 = set2.object("data/x.zst", { role: "data" });
    o2.input.write(crypto.randomBytes(11 * 1024 * 1024));
    await new Promise((r) => setTimeout(r, 300));
    await set2.abort(new Error("cancelled"));
    await expect(o2.done).rejects.toBeTruthy();
    const left = (await s3Leftovers(s3)).objects.filter((k) => k.startsWith("h1/b2/"));
    expect(left).toEqual([]);
  });
  it("objects written at once to one S3 store share its workers: parts filling or in flight never exceed them", async () => {
    for (const workers of [2, 1]) {
      const store = new S3Store({ endpoint: s3.endpoint, bucket: s3.bucket, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, partSize: 5 * 1024 * 1024, workers });
      let inFlight = 0;
      let peak = 0;
      let parts = 0;
      const send = store.client.send.bind(store.client);
      // count the real UploadPart requests going to the server, as they go
      (store.client as { send: unknown }).send = async (cmd: { constructor: { name: string } }, ...rest: unknown[]) => {
        const isPart = cmd.constructor.name === "UploadPartCommand";
        if (isPart) {
          parts++;
          peak = Math.max(peak, ++inFlight);
        }
        try {
          return await (send as (...a: unknown[]) => Promise<unknown>)(cmd, ...rest);
        } finally {
          if (isPart) inFlight--;
        }
      };
      // 4 objects of 3 parts each plus a small one, written at the same time (with 1 worker too: no deadlock)
      const bodies = [...Array.from({ length: 4 }, () => crypto.randomBytes(11 * 1024 * 1024)), crypto.randomBytes(1000)];
      const written = await Promise.all(
        bodies.map((b, i) => {
          const w = openObjectWriter(store, `shared-${workers}/o${i}`, { compression: "none", key: null });
          // writes that do not line up with the parts: each part is filled from pieces of several
          const step = 700_001;
          for (let off = 0; off < b.length; off += step) w.input.write(b.subarray(off, off + step));
          w.input.end();
          return w.done;
        }),
      );
      expect(parts).toBe(12);
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(workers);
      // part buffers are reused from part to part and object to object, never more than the workers
      expect(store.slots.pooled).toBeGreaterThan(0);
      expect(store.slots.pooled).toBeLessThanOrEqual(workers);
      for (const [i, r] of written.entries()) expect((await readObject(store, r, { compression: "none", key: null })).equals(bodies[i]!)).toBe(true);
    }
  });
});
