// `dbbackup status` reads the catalog the dashboard writes ($DBBACKUP_DATA_DIR): recent runs,
// backups and each host's binlog archive state; without a catalog it says where it looked.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../server/db/client";
import { lastLine, runCli } from "../fixtures/cli/run-cli";
import { useTempCatalog } from "../helpers/catalog";

const dataDir = useTempCatalog();
const now = Date.now();
const ago = (min: number) => new Date(now - min * 60_000);

beforeAll(async () => {
  const c = db();
  await c.host.create({ data: { id: "h-db1", name: "db1", host: "10.0.0.5", user: "backup" } });
  await c.storageTarget.create({ data: { id: "s-main", name: "nightly-s3", kind: "s3", bucket: "b" } });
  await c.run.create({ data: { id: "r-ok", kind: "backup", state: "succeeded", hostId: "h-db1", queuedAt: ago(90), startedAt: ago(90), finishedAt: ago(88), progress: JSON.stringify({ phase: "done" }) } });
  await c.run.create({ data: { id: "r-bad", kind: "restore", state: "failed", hostId: "h-db1", queuedAt: ago(30), startedAt: ago(30), finishedAt: ago(29), error: "Access denied for user \"restore\" at 10.0.0.9:3306" } });
  await c.run.create({ data: { id: "r-live", kind: "binlog", state: "running", hostId: "h-db1", queuedAt: ago(10), startedAt: ago(10), progress: JSON.stringify({ phase: "streaming" }) } });
  await c.backup.create({
    data: { id: "b-1", hostId: "h-db1", targetId: "s-main", runId: "r-ok", engine: "logical", location: "db1/b-1/", sizeBytes: BigInt(123456789), startedAt: ago(90), finishedAt: ago(88), binlogFile: "binlog.000042", binlogPos: BigInt(1234), verifyState: "verified" },
  });
  await c.archiverState.create({ data: { hostId: "h-db1", status: "running", file: "binlog.000043", position: BigInt(98765), lagSeconds: 0.4, lastEventAt: ago(1) } });
});

describe("dbbackup status", () => {
  it("lists recent runs, backups and archive state from the catalog", async () => {
    const r = await runCli(["status"], { DBBACKUP_DATA_DIR: dataDir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Catalog ${path.join(dataDir, "catalog.db")}`);
    const runs = r.stdout.slice(r.stdout.indexOf("Recent runs:"), r.stdout.indexOf("Recent backups:"));
    expect(runs.split("\n").filter((l) => /^ {2}r-/.test(l)).map((l) => l.trim().split(/\s+/).slice(0, 3).join(" "))).toEqual(["r-live binlog running", "r-bad restore failed", "r-ok backup succeeded"]);
    expect(runs).toMatch(/r-bad .*Access denied for user "restore"/);
    expect(r.stdout).toMatch(/ {2}b-1 +db1 +logical +118 MiB .* verified +nightly-s3:db1\/b-1\//);
    expect(r.stdout).toMatch(/Binlog archives:\n {2}db1 +running +binlog\.000043:98765 +lag 0\.4 s/);
  });

  it("prints the same as JSON", async () => {
    const r = await runCli(["status", "--json", "--limit", "2"], { DBBACKUP_DATA_DIR: dataDir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.runs.map((x: { id: string }) => x.id)).toEqual(["r-live", "r-bad"]);
    expect(j.backups[0]).toMatchObject({ id: "b-1", host: "db1", engine: "logical", sizeBytes: 123456789, binlog: "binlog.000042:1234", verifyState: "verified" });
    expect(j.archives[0]).toMatchObject({ host: "db1", status: "running", file: "binlog.000043", position: 98765, lagSeconds: 0.4 });
  });

  it("says where it looked when there is no catalog", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-nocat-"));
    const r = await runCli(["status"], { DBBACKUP_DATA_DIR: empty });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toBe(`dbbackup: No catalog at ${path.join(empty, "catalog.db")}: set DBBACKUP_DATA_DIR to the dashboard's data directory, or use dbbackup status --from <backup> to summarise a backup.`);
    expect(fs.existsSync(path.join(empty, "catalog.db"))).toBe(false);
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
