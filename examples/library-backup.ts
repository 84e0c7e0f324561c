// dbbackup's engine layer used from a program (the seed's "API usage"): gather facts, let the
// selector choose an engine, back up into a set, check it, and stream it to S3 with the
// CloudStreamer (a Writable doing parallel multipart uploads, no local staging).
//
//   MYSQL_HOST=127.0.0.1 MYSQL_PORT=3306 MYSQL_USER=root MYSQL_PWD=secret \
//   BACKUP_DIR=/backups/db1-now \
//   S3_BUCKET=my-backups S3_PREFIX=copies/ S3_ENDPOINT=http://minio:9000 \
//   AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
//   npx tsx examples/library-backup.ts
import { pipeline } from "node:stream/promises";
import { BackupSetReader, backupToSet, CloudStreamer, consoleContext, gatherInfo, LocalStore, registry, selectBest, type ServerAddress } from "../server/library";

const env = (k: string, d?: string) => process.env[k] ?? d ?? (() => { throw new Error(`set ${k}`); })();

const server: ServerAddress = {
  host: env("MYSQL_HOST", "127.0.0.1"),
  port: Number(env("MYSQL_PORT", "3306")),
  user: env("MYSQL_USER", "root"),
  password: process.env.MYSQL_PWD ?? "",
  tlsMode: "preferred",
};

// the registry holds the built-in engines; register your own with registry.register(engine)
console.log(`Engines: ${registry.list().map((e) => e.name).join(", ")}`);

// gather info and select the best engine (the seed's selector.GatherInfo / SelectBest)
const info = await gatherInfo(server);
const { engine, reason } = selectBest(info, { destination: "local" });
console.log(`Server: ${info.flavor} ${info.version}, ${info.totalBytes} bytes of data`);
console.log(`Engine: ${engine.name}`);
console.log(`Reason: ${reason}`);

// back up into a set: objects stream through zstd and sha256 to the store, manifest.json last
const store = new LocalStore(env("BACKUP_DIR"));
const ctx = consoleContext();
const { manifest, location } = await backupToSet(ctx, { server, facts: info, engine, reason, store, compression: "zstd", parallel: 2 });
console.log(`Backup ${manifest.id}: ${manifest.objects.length} objects, ${manifest.totals.storedBytes} bytes at ${location}`);

// check every object against the manifest (size, sha256, decompression)
const reader = await BackupSetReader.open(store, "");
for (const o of manifest.objects) await reader.check(o);
console.log(`Checked ${manifest.objects.length} objects`);

// direct cloud streaming: each object (then the manifest) goes to S3 through a CloudStreamer
const bucket = process.env.S3_BUCKET;
if (bucket) {
  const prefix = `${env("S3_PREFIX", "")}${manifest.id}/`;
  for (const key of [...manifest.objects.map((o) => o.path), "manifest.json"]) {
    const streamer = new CloudStreamer({ bucket, key: prefix + key, endpoint: process.env.S3_ENDPOINT, partSize: 5 * 1024 * 1024, workers: 4 });
    streamer.start();
    await pipeline(await store.get(key), streamer);
    const { location: where, size } = await streamer.complete();
    console.log(`Uploaded ${where} (${size} bytes)`);
  }
}
