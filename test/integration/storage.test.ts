import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionUser } from "../../server/trpc/context";
import { callerAs, failure, makeUser, useTempCatalog } from "../helpers/catalog";
import { s3Leftovers, startS3, type TestS3 } from "../helpers/s3";

useTempCatalog();
let s3: TestS3;
let admin: SessionUser;
let operator: SessionUser;
let viewer: SessionUser;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-storage-test-"));

beforeAll(async () => {
  s3 = await startS3();
  admin = await makeUser("admin");
  operator = await makeUser("operator");
  viewer = await makeUser("viewer");
});
afterAll(async () => {
  await s3.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const s3Input = (over: Record<string, unknown> = {}) => ({
  kind: "s3" as const,
  name: "s3-main",
  endpoint: s3.endpoint,
  region: "us-east-1",
  bucket: s3.bucket,
  prefix: "backups",
  forcePathStyle: true,
  accessKeyId: s3.accessKeyId,
  secretAccessKey: s3.secretAccessKey,
  ...over,
});

describe("storage targets", () => {
  it("a local directory: created if missing, probe written, read back and deleted", async () => {
    const dir = path.join(tmp, "local", "nested");
    const t = await callerAs(admin).storage.create({ kind: "local", name: "local", path: dir });
    const r = await callerAs(operator).storage.test({ id: t.id });
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => s.step)).toEqual(["prepare", "write", "read", "compare", "delete"]);
    expect(fs.readdirSync(dir)).toEqual([]);
    const listed = (await callerAs(viewer).storage.list()).find((x) => x.id === t.id)!;
    expect(listed.lastTestOk).toBe(true);
  });

  it("a local path that cannot be a directory fails at the step that failed", async () => {
    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "x");
    const r = await callerAs(admin).storage.testDraft({ target: { kind: "local", name: "bad", path: path.join(file, "sub") } });
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^prepare failed at .*a-file\/sub: .*(not a directory|is a file)/i);
    const itself = await callerAs(admin).storage.testDraft({ target: { kind: "local", name: "bad", path: file } });
    expect(itself.ok).toBe(false);
    expect(itself.message).toMatch(/^prepare failed at .*a-file: .*is a file, not a directory/i);
  });

  it("S3: the probe round-trips through a real S3-protocol server, leaving nothing behind", async () => {
    const t = await callerAs(admin).storage.create(s3Input());
    expect(t.location).toBe(`s3://${s3.bucket}/backups/`);
    expect(JSON.stringify(t)).not.toContain(s3.secretAccessKey);
    expect(t.hasSecret).toBe(true);
    const r = await callerAs(operator).storage.test({ id: t.id });
    expect(r.message).toMatch(/Wrote, read back and deleted/);
    expect(r.ok).toBe(true);
    expect((await s3Leftovers(s3)).objects).toEqual([]);
  });

  it("S3 failures say what failed: missing bucket, unknown key, unreachable endpoint", async () => {
    const noBucket = await callerAs(admin).storage.testDraft({ target: s3Input({ name: "x", bucket: "no-such-bucket" }) });
    expect(noBucket.ok).toBe(false);
    expect(noBucket.message).toMatch(/write failed at s3:\/\/no-such-bucket\/backups\/.*does not exist/);

    const badKey = await callerAs(admin).storage.testDraft({ target: s3Input({ name: "x", accessKeyId: "NOPE" }) });
    expect(badKey.message).toMatch(/rejected the access key id/);

    const closed = await import("../../server/mysql/sandbox").then((m) => m.freePort());
    const down = await callerAs(admin).storage.testDraft({ target: s3Input({ name: "x", endpoint: `http://127.0.0.1:${closed}` }) });
    expect(down.message).toMatch(/Cannot reach the S3 endpoint/);
  });

  it("refuses malformed input on the field that caused it, saving nothing", async () => {
    const before = (await callerAs(admin).storage.list()).length;
    const ep = await failure(() => callerAs(admin).storage.create(s3Input({ name: "e", endpoint: "not a url" })));
    expect(ep.fieldErrors?.endpoint?.[0]).toMatch(/endpoint must be a URL/);
    const bucket = await failure(() => callerAs(admin).storage.create(s3Input({ name: "b", bucket: "Bad_Bucket" })));
    expect(bucket.fieldErrors?.bucket?.[0]).toMatch(/lower-case/);
    const rel = await failure(() => callerAs(admin).storage.create({ kind: "local", name: "r", path: "relative/dir" }));
    expect(rel.fieldErrors?.path?.[0]).toMatch(/absolute path/);
    const part = await failure(() => callerAs(admin).storage.create(s3Input({ name: "p", partSize: 1024 })));
    expect(part.fieldErrors?.partSize?.[0]).toMatch(/at least 5242880/);
    const dup = await failure(() => callerAs(admin).storage.create(s3Input()));
    expect(dup.code).toBe("CONFLICT");
    const noSecret = await failure(() => callerAs(admin).storage.create(s3Input({ name: "n", secretAccessKey: "" })));
    expect(noSecret.fieldErrors?.secretAccessKey?.[0]).toMatch(/secret access key/);
    expect((await callerAs(admin).storage.list()).length).toBe(before);
  });

  it("viewers never see credentials", async () => {
    const list = await callerAs(viewer).storage.list();
    const t = list.find((x) => x.kind === "s3")!;
    expect(t.accessKeyId).toBe("(hidden)");
    expect(JSON.stringify(list)).not.toMatch(new RegExp(`secretEnc|S3RVER|${s3.secretAccessKey}`));
  });
});
