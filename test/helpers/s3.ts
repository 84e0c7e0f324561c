import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
// s3rver is a real S3-protocol server (signature checks, multipart uploads) backed by a directory.
import S3rver from "s3rver";
import { freePort } from "../../server/mysql/sandbox";

export type TestS3 = {
  endpoint: string;
  port: number;
  dir: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  stop(): Promise<void>;
  /** Starts it again on the same port and directory (after stop), e.g. to test an outage. */
  restart(): Promise<void>;
};

export async function startS3(bucket = "dbbackup-test"): Promise<TestS3> {
  const port = await freePort();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-s3-"));
  let server: InstanceType<typeof S3rver> | undefined;
  const start = async () => {
    server = new S3rver({ port, address: "127.0.0.1", directory: dir, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
    await server.run();
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    dir,
    accessKeyId: "S3RVER",
    // s3rver checks the access key id (unknown ids are refused) but not SigV4 signatures, so any secret works.
    secretAccessKey: "test-secret-0f3a9c",
    bucket,
    async stop() {
      await server?.close();
      server = undefined;
    },
    restart: start,
  };
}

/** Every object key currently in the bucket, and multipart uploads still open (should be none). */
export async function s3Leftovers(s3: TestS3): Promise<{ objects: string[] }> {
  const { S3Client, ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
  const r = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
  return { objects: (r.Contents ?? []).map((o) => o.Key!) };
}
