// A policy's binlog archiver turned on after its backups were taken starts early enough to cover
// them: at the start of the binlog file of the oldest backup its retention keeps for point-in-time
// recovery, though the server has rotated since. A point between that backup and the next one is
// then restorable. When the server has purged that binlog, the archiver starts at its oldest binlog
// instead, and a point-in-time restore from the uncovered backup is refused before anything is
// restored, by the planner at request time and by the run itself.
import { beforeAll, describe, expect, it } from "vitest";
import { startArchiving } from "../../server/archive-runs/manage-archiving";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import { getTimeline } from "../../server/pitr/timeline";
import { startPitr } from "../../server/pitr/start-pitr";
import { enqueueRun } from "../../server/runner/enqueue-run";
import { useTempCatalog } from "../helpers/catalog";
import { waitBinlogCheckpoint } from "../helpers/binlog";
import { useMariaDB } from "../helpers/mariadb";
import { runLog, sleep, waitFor, waitForRun } from "../helpers/runs";
import { admin, archivedUpToNow, fingerprint, mark, operator, pitrBed, pitrRun, type Bed, type Mark } from "../helpers/pitr";

useTempCatalog();
const src = await useMariaDB();
const gone = await useMariaDB();
const dst = await useMariaDB();
let bed: Bed;
const second = () => new Date(Math.floor(Date.now() / 1000) * 1000);

async function policyBackup(hostId: string, policyId: string) {
  const run = await startBackup({ input: { hostId, targetId: bed.targetId, engine: "logical", databases: [], compression: "zstd", parallel: 2 }, actor: operator, policyId });
  const done = await waitForRun(run.id);
  if (done.state !== "succeeded") throw new Error(`backup run ${done.state}: ${done.error}`);
  return db().backup.findUniqueOrThrow({ where: { id: done.backupId! } });
}

async function createPolicy(id: string, hostId: string, retention: object) {
  await db().policy.create({ data: { id, name: id, hostId, targetId: bed.targetId, engine: "logical", retention: JSON.stringify(retention), binlogArchiving: true, enabled: false } });
}

async function archiverRun(hostId: string) {
  const run = await startArchiving({ hostId, targetId: bed.targetId, actor: admin });
  await waitFor(async () => /Streaming binlogs/.test(await runLog(run!.id)), 30_000, "the archiver to stream");
  return run!;
}

const databases = async () => (await dst.sql<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA ORDER BY 1")).map((r) => r.n);

beforeAll(async () => {
  bed = await pitrBed({ src, gone, dst });
}, 60_000);

describe("a policy archiver started after the policy's backups", () => {
  let first: Awaited<ReturnType<typeof policyBackup>>;
  let between: Mark;
  let runId: string;

  beforeAll(async () => {
    const hostId = bed.hosts.src!;
    await createPolicy("p-src", hostId, { keepLast: 2, pitrDays: 1 });
    await src.sql("CREATE DATABASE shop; CREATE TABLE shop.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40)); INSERT INTO shop.t (v) VALUES ('in both backups')");
    first = await policyBackup(hostId, "p-src");
    await sleep(1100);
    await src.sql("INSERT INTO shop.t (v) VALUES ('after the first backup'); ALTER TABLE shop.t ADD COLUMN n INT DEFAULT 7");
    between = await mark(src, "between the backups", second(), "shop");
    await sleep(1100);
    await src.sql("FLUSH BINARY LOGS");
    await src.sql("INSERT INTO shop.t (v) VALUES ('before the second backup')");
    await policyBackup(hostId, "p-src");
    await src.sql("FLUSH BINARY LOGS");
    await src.sql("INSERT INTO shop.t (v) VALUES ('before archiving starts')");
    // only now is archiving turned on: the server's current binlog is two files past the first backup
    runId = (await archiverRun(hostId)).id;
    await archivedUpToNow(src, hostId);
  }, 180_000);

  it("starts at the start of the binlog file of the oldest backup kept for point-in-time recovery", { timeout: 240_000 }, async () => {
    const log = await runLog(runId);
    expect(log).toContain(`New archive starts at ${first.binlogFile}:4: covering backup ${first.id} at ${first.binlogFile}:${first.binlogPos}`);
    const segs = await db().binlogSegment.findMany({ where: { hostId: bed.hosts.src! }, orderBy: [{ fileName: "asc" }, { startPos: "asc" }] });
    expect(segs[0]).toMatchObject({ fileName: first.binlogFile, startPos: 4n });
    const tl = await getTimeline(bed.hosts.src!);
    expect(tl.gaps.filter((g) => !/archiver is stopped|not yet/.test(g.cause))).toEqual([]);
  });

  it("restores a point between the first and the second backup", { timeout: 240_000 }, async () => {
    const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: between.time.toISOString(), rename: { shop: "shop_between" } });
    expect(run.state, `${run.error}\n${await runLog(run.id)}`).toBe("succeeded");
    expect(run.backupId).toBe(first.id);
    expect(await fingerprint(dst, "shop_between")).toEqual(between.fp);
  });
});

describe("a backup whose binlog the server purged before archiving started", () => {
  let backup: Awaited<ReturnType<typeof policyBackup>>;
  let target: Date;
  let runId: string;

  beforeAll(async () => {
    const hostId = bed.hosts.gone!;
    await createPolicy("p-gone", hostId, { keepLast: 3 });
    await gone.sql("CREATE DATABASE lost; CREATE TABLE lost.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40)); INSERT INTO lost.t (v) VALUES ('in the backup')");
    backup = await policyBackup(hostId, "p-gone");
    await gone.sql("INSERT INTO lost.t (v) VALUES ('never archived'); FLUSH BINARY LOGS");
    const [st] = await gone.sql<{ File: string }>("SHOW MASTER STATUS");
    // the server keeps (and silently does not purge) the older file until its binlog checkpoint moved on
    await waitBinlogCheckpoint(gone);
    await gone.sql(`PURGE BINARY LOGS TO '${st!.File}'`);
    expect((await gone.sql<{ Log_name: string }>("SHOW BINARY LOGS")).map((r) => r.Log_name)).not.toContain(backup.binlogFile);
    runId = (await archiverRun(hostId)).id;
    await sleep(1100);
    await gone.sql("INSERT INTO lost.t (v) VALUES ('archived')");
    target = second();
    await archivedUpToNow(gone, hostId);
  }, 180_000);

  it("the archiver starts at the oldest binlog the server has and says why", { timeout: 240_000 }, async () => {
    const log = await runLog(runId);
    expect(log).toMatch(new RegExp(`warn: New archive starts at the oldest binlog: the server no longer has ${backup.binlogFile!.replace(".", "\\.")}, where backup ${backup.id}`));
  });

  it("a point-in-time restore from it is refused when asked for, with what to do", { timeout: 240_000 }, async () => {
    await expect(startPitr({ input: { hostId: bed.hosts.gone!, targetHostId: bed.hosts.dst!, until: target.toISOString(), rename: {}, databases: [], dropExisting: false, parallel: 2 }, actor: operator })).rejects.toThrow(
      new RegExp(`No backup connects to .*Backup ${backup.id}: no archived binlog covers its coordinates ${backup.binlogFile!.replace(".", "\\.")}:${backup.binlogPos} \\(the archive begins only at binlog\\.\\d+:4: the archiver was not running when this backup was taken\\)\\. Take a new full backup`),
    );
  });

  it("a pitr run fails before restoring anything: no database, nothing written on the target", { timeout: 240_000 }, async () => {
    const dbsBefore = await databases();
    const [posBefore] = await dst.sql("SHOW MASTER STATUS");
    const run = await enqueueRun({
      kind: "pitr",
      hostId: bed.hosts.dst!,
      params: { hostId: bed.hosts.gone!, targetHostId: bed.hosts.dst!, until: target.toISOString(), rename: {}, databases: [], dropExisting: false, parallel: 2 },
      maxAttempts: 1,
    });
    const done = await waitForRun(run.id);
    expect(done.state).toBe("failed");
    expect(done.error).toMatch(/no archived binlog covers its coordinates.*Take a new full backup.*Nothing was restored\.$/);
    expect(await runLog(run.id)).not.toMatch(/Restoring backup/);
    expect(await databases()).toEqual(dbsBefore);
    expect(await databases()).not.toContain("lost");
    expect((await dst.sql("SHOW MASTER STATUS"))[0]).toEqual(posBefore);
  });
});
