import crypto from "node:crypto";
import { once } from "node:events";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../server/errors";
import { MIN_PART_SIZE, MultipartUpload, PartSlots } from "../../server/storage/s3-multipart";
import { S3Store } from "../../server/storage/s3-store";
import { startS3, type TestS3 } from "../helpers/s3";

// MultipartUpload against a real S3-protocol server (s3rver), with the client's send() wrapped to
// count requests and to make chosen ones fail the way S3 fails.

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3("multipart-test");
});
afterAll(async () => {
  await s3.stop();
});

type Cmd = { constructor: { name: string }; input: Record<string, unknown> };
/** A store whose requests are counted and may be failed by `fail(cmd, nthOfItsKind)`. */
function store(workers: number, fail?: (cmd: Cmd, n: number) => Error | null) {
  const st = new S3Store({ endpoint: s3.endpoint, bucket: s3.bucket, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, partSize: MIN_PART_SIZE, workers });
  const sent: Record<string, number> = {};
  const send = st.client.send.bind(st.client) as (...a: unknown[]) => Promise<unknown>;
  (st.client as { send: unknown }).send = async (cmd: Cmd, ...rest: unknown[]) => {
    const name = cmd.constructor.name;
    sent[name] = (sent[name] ?? 0) + 1;
    const e = fail?.(cmd, sent[name]!);
    if (e) throw e;
    return send(cmd, ...rest);
  };
  return { st, sent };
}

const s3Error = (status: number, name: string) => Object.assign(new Error(`${name} (injected)`), { name, $metadata: { httpStatusCode: status } });

async function keys(prefix: string): Promise<string[]> {
  const c = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  const r = await c.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!);
}

/** Writes `body` in pieces that do not line up with the parts, then ends. */
async function writeAll(u: { stream: NodeJS.WritableStream }, body: Buffer, step = 1_000_003) {
  for (let off = 0; off < body.length; off += step) {
    if (!u.stream.write(body.subarray(off, off + step))) await once(u.stream as NodeJS.EventEmitter, "drain");
  }
  u.stream.end();
}

describe("MultipartUpload", () => {
  it("stores an object of several parts byte for byte, with one request per part", async () => {
    const { st, sent } = store(2);
    const body = crypto.randomBytes(2 * MIN_PART_SIZE + 12345);
    const u = st.upload("rt/obj");
    expect(u).toBeInstanceOf(MultipartUpload);
    await writeAll(u, body);
    expect(await u.done).toEqual({ size: body.length });
    expect((await st.getBuffer("rt/obj")).equals(body)).toBe(true);
    expect(sent).toMatchObject({ CreateMultipartUploadCommand: 1, UploadPartCommand: 3, CompleteMultipartUploadCommand: 1 });
    expect(st.slots.taken).toBe(0);
  });

  it("sends an object smaller than one part as a single PUT", async () => {
    const { st, sent } = store(2);
    const u = st.upload("small/obj");
    await writeAll(u, Buffer.from("hello"));
    expect(await u.done).toEqual({ size: 5 });
    expect(sent.CreateMultipartUploadCommand).toBeUndefined();
    expect(sent.PutObjectCommand).toBe(1);
    expect((await st.getBuffer("small/obj")).toString()).toBe("hello");
  });

  it("retries a part S3 answers with 503 and still stores the exact bytes", async () => {
    const { st, sent } = store(2, (cmd, n) => (cmd.constructor.name === "UploadPartCommand" && n === 2 ? s3Error(503, "SlowDown") : null));
    const body = crypto.randomBytes(2 * MIN_PART_SIZE + 1);
    const u = st.upload("retry/obj");
    await writeAll(u, body);
    await u.done;
    expect(sent.UploadPartCommand).toBe(4); // 3 parts, one of them twice
    expect((await st.getBuffer("retry/obj")).equals(body)).toBe(true);
  });

  it("a part refused for good fails the upload with S3's reason and aborts it: nothing left, slots free", async () => {
    const { st, sent } = store(2, (cmd, n) => (cmd.constructor.name === "UploadPartCommand" && n === 2 ? s3Error(403, "AccessDenied") : null));
    const u = st.upload("denied/obj");
    const body = crypto.randomBytes(3 * MIN_PART_SIZE);
    const wrote = writeAll(u, body).catch(() => undefined);
    u.stream.on("error", () => undefined);
    const err = await u.done.then(() => null, (e: unknown) => e);
    await wrote;
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).message).toMatch(/Access denied on s3:\/\/multipart-test\/denied\/obj.*s3:AbortMultipartUpload/);
    expect(sent.AbortMultipartUploadCommand).toBe(1);
    expect(await keys("denied/")).toEqual([]);
    expect(st.slots.taken).toBe(0);
  });

  it("abort() in the middle stops the upload, aborts it on S3 and frees every part buffer", async () => {
    const { st, sent } = store(2);
    const u = st.upload("aborted/obj");
    u.stream.on("error", () => undefined);
    // more than a part, so a multipart upload exists on S3 when we abort
    u.stream.write(crypto.randomBytes(MIN_PART_SIZE + 10));
    await new Promise((r) => setTimeout(r, 300));
    await u.abort(new Error("cancelled by the test"));
    await expect(u.done).rejects.toThrow(/cancelled by the test/);
    expect(sent.CreateMultipartUploadCommand).toBe(1);
    expect(sent.AbortMultipartUploadCommand).toBe(1);
    expect(await keys("aborted/")).toEqual([]);
    expect(st.slots.taken).toBe(0);
  });

  it("objects written at once share the store's workers: never more part buffers than workers", async () => {
    const workers = 3;
    let peak = 0;
    const { st } = store(workers, () => {
      peak = Math.max(peak, st.slots.taken);
      return null;
    });
    const bodies = Array.from({ length: 4 }, () => crypto.randomBytes(2 * MIN_PART_SIZE + 777));
    await Promise.all(
      bodies.map(async (b, i) => {
        const u = st.upload(`shared/o${i}`);
        await writeAll(u, b, 333_333);
        await u.done;
      }),
    );
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(workers);
    expect(st.slots.taken).toBe(0);
    expect(st.slots.pooled).toBeLessThanOrEqual(workers);
    for (const [i, b] of bodies.entries()) expect((await st.getBuffer(`shared/o${i}`)).equals(b)).toBe(true);
  });
});

describe("PartSlots", () => {
  it("makes the next taker wait until a slot is given back, and reuses the buffer", async () => {
    const slots = new PartSlots();
    const a = await slots.acquire(1, 16);
    let got: Buffer | null = null;
    const waiting = slots.acquire(1, 16).then((b) => (got = b));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toBeNull();
    slots.release(a);
    await waiting;
    expect(got).toBe(a);
    expect(slots.taken).toBe(1);
  });
});
