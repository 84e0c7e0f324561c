import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decompressor } from "../../server/artifact/compression";
import { listArchivedSegments } from "../../server/binlog/archive-reader";
import { runArchiver } from "../../server/binlog/archiver";
import type { ArchiverStatus, SegmentMeta } from "../../server/binlog/archiver-types";
import { readEvents } from "../../server/binlog/read-events";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { LocalStore } from "../../server/storage/local-store";
import type { ObjectStore } from "../../server/storage/object-store";
import { S3Store } from "../../server/storage/s3-store";
import { compareArchiveWithServer, runWorkload, setupWorkloadSchema, testContext, waitCaughtUp, waitFor } from "../helpers/binlog";
import { s3Leftovers, startS3, type TestS3 } from "../helpers/s3";

let s3: TestS3;
let sb: Sandbox;
const dirs: string[] = [];
function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-binlog-seg-"));
  dirs.push(d);
  return d;
}
beforeAll(async () => {
  s3 = await startS3();
  sb = await startSandbox({ args: ["--max-binlog-size=1048576"] });
  await setupWorkloadSchema(sb);
});
afterAll(async () => {
  await s3?.stop();
  await sb?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function s3Store(prefix: string) {
  return new S3Store({ endpoint: s3.endpoint, bucket: s3.bucket, prefix, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
}

async function readAll(r: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** What the metadata of a segment must say, computed from the segment's own bytes. */
async function metaFromBytes(raw: Buffer) {
  let first: number | null = null;
  let last: number | null = null;
  const gtids: string[] = [];
  const servers = new Set<number>();
  let events = 0;
  let end = 0;
  for await (const ev of readEvents((async function* () {
    yield raw;
  })())) {
    events++;
    end = ev.endPosition;
    servers.add(ev.header.serverId);
    first ??= ev.header.timestamp;
    last = ev.header.timestamp;
    if (ev.details?.kind === "mariadb_gtid") gtids.push(`${ev.details.domain}-${ev.details.server}-${ev.details.seq}`);
  }
  return { first, last, gtids, servers: [...servers], events, end };
}

/** Checks every stored segment against its metadata and its own bytes. */
async function checkSegments(store: ObjectStore, prefix: string, delivered: SegmentMeta[], compressed: boolean) {
  const segs = await listArchivedSegments(store, prefix);
  expect(segs.length).toBeGreaterThanOrEqual(2);
  expect(segs.map((s) => s.key).sort()).toEqual(delivered.map((s) => s.key).sort());
  for (const s of segs) {
    const stored = await store.getBuffer(s.key);
    expect(stored.length).toBe(s.storedSize);
    expect(crypto.createHash("sha256").update(stored).digest("hex")).toBe(s.storedSha256);
    expect(s.compressed).toBe(compressed);
    expect(s.key.endsWith(".zst")).toBe(compressed);
    const raw = compressed ? await readAll(PassThrough.from([stored]).pipe(decompressor("zstd"))) : stored;
    expect(raw.length).toBe(s.size);
    expect(crypto.createHash("sha256").update(raw).digest("hex")).toBe(s.sha256);
    if (compressed) expect(s.storedSize).toBeLessThan(s.size);
    else expect(s.storedSha256).toBe(s.sha256);
    expect(s.size).toBe(s.endPosition - s.byteOffset);
    expect(s.byteOffset).toBe(s.startPosition === 4 ? 0 : s.startPosition);

    const m = await metaFromBytes(raw);
    expect(m.end).toBe(s.endPosition);
    expect(s.eventCount).toBe(m.events);
    expect(s.firstEventAt?.getTime()).toBe(m.first! * 1000);
    expect(s.lastEventAt?.getTime()).toBe(m.last! * 1000);
    expect(s.serverIds).toEqual(m.servers);
    expect(s.serverIds).toEqual([sb.serverId]);
    expect(s.gtidFirst).toBe(m.gtids[0] ?? null);
    // every GTID group in these segments commits inside the segment unless the segment was cut by size
    if (s.endedBy !== "size" && m.gtids.length) expect(s.gtidLast).toBe(m.gtids[m.gtids.length - 1]);
  }
  // positions of each file are contiguous, from 4 except in the file the archive started in
  const byFile = new Map<string, SegmentMeta[]>();
  for (const s of segs) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s]);
  for (const [file, list] of byFile) {
    if (file !== segs[0]!.file) expect(list[0]!.startPosition).toBe(4);
    for (let i = 1; i < list.length; i++) expect(list[i]!.startPosition).toBe(list[i - 1]!.endPosition);
  }
  return segs;
}

async function archiveOnce(store: ObjectStore, prefix: string, o: { compress: boolean; rotateSize?: number }) {
  const ac = new AbortController();
  const delivered: SegmentMeta[] = [];
  let status: ArchiverStatus | null = null;
  const startedAt = Date.now();
  const run = runArchiver(testContext(ac.signal), {
    server: sb.address(),
    dir: tempDir(),
    store,
    storePrefix: prefix,
    compress: o.compress,
    rotateSize: o.rotateSize,
    start: "current",
    heartbeatSeconds: 1,
    onSegment: async (m) => void delivered.push(m),
    onStatus: (s) => (status = s),
  });
  await waitFor("streaming", () => status?.state === "streaming");
  await runWorkload(sb, { rounds: 60, ddlEvery: 20 });
  await sb.sql("FLUSH BINARY LOGS");
  await runWorkload(sb, { rounds: 20 });
  await waitCaughtUp(sb, () => status);
  ac.abort();
  await run;
  return { delivered, startedAt, endedAt: Date.now() };
}

describe("binlog segments in the store", () => {
  it("ships zstd segments to S3 with exact metadata, cut by rotateSize and by the server's rotation", { timeout: 120_000 }, async () => {
    const store = s3Store("p1/");
    const { delivered, startedAt, endedAt } = await archiveOnce(store, "binlog/db1/", { compress: true, rotateSize: 96 * 1024 });
    const segs = await checkSegments(store, "binlog/db1/", delivered, true);
    expect(segs.some((s) => s.endedBy === "size" && !s.fileComplete)).toBe(true);
    expect(segs.some((s) => s.endedBy === "rotate" && s.fileComplete)).toBe(true);
    expect(segs[segs.length - 1]!.endedBy).toBe("shutdown");
    for (const s of segs) {
      expect(s.firstEventAt!.getTime()).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000 - 1000);
      expect(s.lastEventAt!.getTime()).toBeLessThanOrEqual(endedAt + 1000);
      expect(s.firstEventAt!.getTime()).toBeLessThanOrEqual(s.lastEventAt!.getTime());
    }
    // the GTID range of consecutive segments follows the server's sequence
    const seqs = segs.filter((s) => s.gtidFirst).map((s) => Number(s.gtidFirst!.split("-")[2]));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const [{ p }] = (await sb.sql<{ p: string }>("SELECT @@gtid_binlog_pos AS p")) as [{ p: string }];
    expect(segs[segs.length - 1]!.gtidStateEnd).toBe(p);
    const { objects } = await s3Leftovers(s3);
    expect(objects.filter((k) => k.startsWith("p1/")).length).toBe(segs.length * 2);
  });

  it("ships uncompressed segments to a local directory", { timeout: 120_000 }, async () => {
    const root = tempDir();
    const store = new LocalStore(root);
    const { delivered } = await archiveOnce(store, "arch", { compress: false });
    const segs = await checkSegments(store, "arch/", delivered, false);
    for (const s of segs) expect(fs.existsSync(path.join(root, s.key))).toBe(true);
    // no temp files left behind
    const all = fs.readdirSync(path.join(root, "arch"));
    expect(all.filter((f) => !/\.\d{10}(\.meta\.json)?$/.test(f))).toEqual([]);
  });

  it("keeps archiving through a store outage, leaves nothing partial, and ships everything once the store is back", { timeout: 180_000 }, async () => {
    const store = s3Store("p3/");
    const dir = tempDir();
    const delivered: SegmentMeta[] = [];
    let status: ArchiverStatus | null = null;
    const opts = {
      server: sb.address(),
      dir,
      store,
      storePrefix: "arch/",
      compress: true,
      rotateSize: 64 * 1024,
      heartbeatSeconds: 1,
      onSegment: async (m: SegmentMeta) => void delivered.push(m),
      onStatus: (s: ArchiverStatus) => (status = s),
    };
    const startFile = (await sb.sql<{ File: string }>("SHOW MASTER STATUS"))[0]!.File;
    const ac = new AbortController();
    const ctx = testContext(ac.signal);
    const run = runArchiver(ctx, { ...opts, start: { file: startFile, position: 4 } });
    run.catch(() => undefined);
    await waitFor("streaming", () => status?.state === "streaming");

    await s3.stop();
    await runWorkload(sb, { rounds: 40 });
    await waitFor("segments waiting for the store", () => (status?.pendingSegments ?? 0) >= 2, 60_000);
    const eventsDuringOutage = status!.events;
    await runWorkload(sb, { rounds: 10 });
    await waitFor("archiving to continue during the outage", () => status!.events > eventsDuringOutage);
    await waitFor("the failed shipment to be logged", () => ctx.logs.some((l) => l.level === "warn" && /Could not ship binlog segment/.test(l.message)), 30_000);

    // stopping while the store is still down: the run says what is left and where
    ac.abort();
    const err = await run.then(
      () => null,
      (e: Error & { retryable?: boolean }) => e,
    );
    expect(err?.message).toMatch(/could not be shipped/);
    expect(err?.retryable).toBe(true);
    const state = JSON.parse(fs.readFileSync(path.join(dir, "archiver-state.json"), "utf8"));
    expect(state.pending.length).toBeGreaterThanOrEqual(3);
    for (const p of state.pending) expect(fs.existsSync(path.join(dir, p.localName))).toBe(true);

    await s3.restart();
    // nothing half-written reached the store while it was failing: only whole segments (data + metadata)
    const during = (await s3Leftovers(s3)).objects.filter((k) => k.startsWith("p3/"));
    const dataKeys = during.filter((k) => k.endsWith(".zst"));
    expect(during.length).toBe(dataKeys.length * 2);
    for (const k of dataKeys) expect(during).toContain(k.replace(/\.zst$/, ".meta.json"));
    const shippedBeforeOutage = dataKeys.length;

    const ac2 = new AbortController();
    status = null;
    const run2 = runArchiver(testContext(ac2.signal), { ...opts, start: "current" });
    await runWorkload(sb, { rounds: 5 });
    await waitFor("the backlog to be shipped", () => status && status.pendingSegments === 0);
    await waitCaughtUp(sb, () => status);
    ac2.abort();
    await run2;

    const segs = await checkSegments(store, "arch/", delivered, true);
    expect(segs.length).toBeGreaterThanOrEqual(shippedBeforeOutage + 3);
    const keys = (await s3Leftovers(s3)).objects.filter((k) => k.startsWith("p3/"));
    expect(keys.length).toBe(segs.length * 2);
    for (const s of segs) expect(keys).toContain(`p3/${s.key}`);
    // shipped segments are removed from the working directory
    expect(fs.readdirSync(dir).filter((f) => /\.\d{10}$/.test(f))).toEqual([]);
    // the files the archive covers entirely are byte-identical to the server's
    const cmp = (await compareArchiveWithServer(sb, store, "arch/")).filter((c) => !c.archive.startsWith("error") && c.archive !== "missing");
    expect(cmp.length).toBeGreaterThanOrEqual(1);
    for (const c of cmp) expect(c.archive).toBe(c.server);
  });
});
