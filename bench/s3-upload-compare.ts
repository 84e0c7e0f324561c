// `npm run bench:s3-upload`: our MultipartUpload against @aws-sdk/lib-storage's Upload, on the same
// s3rver, writing several objects at once as a backup does. Each side runs in its own process so
// its peak RSS (VmHWM) is its own. Prints a Markdown table. Options: --objects N --mb M
// --part-mb P --workers W.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { PassThrough, type Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { startS3 } from "../test/helpers/s3";

type Opts = { objects: number; mb: number; partMb: number; workers: number };
type Result = { impl: string; seconds: number; peakRssMb: number; bytes: number };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Feeds `mb` MiB of incompressible-looking bytes into a writable, 1 MiB at a time, with backpressure. */
async function feed(w: Writable, mb: number, seed: number) {
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  for (let i = 0; i < mb; i++) {
    block.writeUInt32LE(i, 0);
    if (!w.write(Buffer.from(block))) await new Promise((r) => w.once("drain", r));
  }
  w.end();
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function child(impl: string, endpoint: string, bucket: string, o: Opts) {
  const creds = { accessKeyId: "S3RVER", secretAccessKey: "bench-secret" };
  const t0 = performance.now();
  if (impl === "ours") {
    const { S3Store } = await import("../server/storage/s3-store");
    const store = new S3Store({ endpoint, bucket, forcePathStyle: true, ...creds, partSize: o.partMb << 20, workers: o.workers });
    await Promise.all(
      Array.from({ length: o.objects }, async (_, i) => {
        const u = store.upload(`ours/o${i}`);
        await feed(u.stream, o.mb, i);
        await u.done;
      }),
    );
  } else {
    const { S3Client } = await import("@aws-sdk/client-s3");
    const { Upload } = await import("@aws-sdk/lib-storage");
    const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: creds, requestChecksumCalculation: "WHEN_REQUIRED" });
    await Promise.all(
      Array.from({ length: o.objects }, async (_, i) => {
        const body = new PassThrough({ highWaterMark: 1 << 20 });
        // lib-storage has no budget across uploads: give each upload its share of the workers
        const up = new Upload({ client, params: { Bucket: bucket, Key: `lib/o${i}`, Body: body, ChecksumAlgorithm: "SHA256" }, partSize: o.partMb << 20, queueSize: Math.max(1, Math.floor(o.workers / o.objects)) });
        await Promise.all([feed(body, o.mb, i), up.done()]);
      }),
    );
  }
  const r: Result = { impl, seconds: (performance.now() - t0) / 1000, peakRssMb: peakRssMb(), bytes: o.objects * o.mb * (1 << 20) };
  process.stdout.write(JSON.stringify(r) + "\n");
}

async function main() {
  const o: Opts = { objects: arg("objects", 4), mb: arg("mb", 128), partMb: arg("part-mb", 8), workers: arg("workers", 4) };
  if (process.argv[2] === "--child") return child(process.argv[3]!, process.argv[4]!, process.argv[5]!, o);
  const s3 = await startS3("bench-upload");
  const results: Result[] = [];
  try {
    for (const impl of ["ours", "lib-storage", "ours", "lib-storage"]) {
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", impl, s3.endpoint, s3.bucket, ...process.argv.slice(2)], { stdio: ["ignore", "pipe", "inherit"] });
        let text = "";
        p.stdout.on("data", (d) => (text += d));
        p.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`${impl} exited ${code}`))));
      });
      results.push(JSON.parse(out.trim().split("\n").pop()!) as Result);
      fs.rmSync(`${s3.dir}/${s3.bucket}`, { recursive: true, force: true });
      fs.mkdirSync(`${s3.dir}/${s3.bucket}`, { recursive: true });
    }
  } finally {
    await s3.stop();
    fs.rmSync(s3.dir, { recursive: true, force: true });
  }
  console.log(`\n${o.objects} objects x ${o.mb} MiB at once, ${o.partMb} MiB parts, ${o.workers} workers in all, s3rver on loopback\n`);
  console.log("| implementation | time | MiB/s | peak RSS |\n|---|---|---|---|");
  for (const r of results) console.log(`| ${r.impl} | ${r.seconds.toFixed(1)} s | ${(r.bytes / (1 << 20) / r.seconds).toFixed(0)} | ${r.peakRssMb.toFixed(0)} MB |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
