// A hole in the archive: archiving stops, the server writes and purges the binlogs it wrote
// meanwhile, archiving starts again from the oldest binlog left. The timeline must show the gap
// with its cause, the planner must refuse every target past it with a message that says so, and a
// pitr run asked for such a target must fail with that message without restoring anything. Targets
// before the gap stay restorable.
import { beforeAll, describe, expect, it } from "vitest";
import { stopArchiving } from "../../server/archive-runs/manage-archiving";
import { db } from "../../server/db/client";
import { getTimeline } from "../../server/pitr/timeline";
import { startPitr } from "../../server/pitr/start-pitr";
import { enqueueRun } from "../../server/runner/enqueue-run";
import { useTempCatalog } from "../helpers/catalog";
import { useMariaDB } from "../helpers/mariadb";
import { runLog, sleep, waitFor, waitForRun } from "../helpers/runs";
import { admin, archive, backupNow, fingerprint, mark, operator, pitrBed, pitrRun, shipEverything, type Bed, type Mark } from "../helpers/pitr";

useTempCatalog();
const src = await useMariaDB();
const dst = await useMariaDB();
let bed: Bed;
let before: Mark;
let after: Mark;
const second = () => new Date(Math.floor(Date.now() / 1000) * 1000);

beforeAll(async () => {
  bed = await pitrBed({ src, dst });
  const hostId = bed.hosts.src!;
  await src.sql("CREATE DATABASE shop; CREATE TABLE shop.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40)); INSERT INTO shop.t (v) VALUES ('in the backup')");
  await archive(bed, hostId);
  await backupNow(bed, hostId);
  await sleep(1100);
  await src.sql("INSERT INTO shop.t (v) VALUES ('archived before the gap')");
  before = await mark(src, "before the gap", second(), "shop");
  await shipEverything(src, hostId);

  // archiving stops; the server writes, rotates and purges what the archiver never saw
  await stopArchiving({ hostId, actor: admin });
  await waitFor(async () => (await db().archiverState.findUnique({ where: { hostId } }))?.status === "stopped", 30_000, "the archiver to stop");
  await sleep(1100);
  await src.sql("INSERT INTO shop.t (v) VALUES ('never archived 1'); FLUSH BINARY LOGS; INSERT INTO shop.t (v) VALUES ('never archived 2'); FLUSH BINARY LOGS");
  const [st] = await src.sql<{ File: string }>("SHOW MASTER STATUS");
  await src.sql(`PURGE BINARY LOGS TO '${st!.File}'`);

  // archiving starts afresh from the oldest binlog left, as the supervisor does after a purge
  await db().host.update({ where: { id: hostId }, data: { archiveTargetId: bed.targetId } });
  const run = await enqueueRun({ kind: "binlog", hostId, params: { targetId: bed.targetId, start: "oldest", fresh: true }, maxAttempts: 1 });
  await waitFor(async () => /Streaming binlogs/.test(await runLog(run.id)), 30_000, "the archiver to stream again");
  await sleep(1100);
  await src.sql("INSERT INTO shop.t (v) VALUES ('archived after the gap')");
  after = await mark(src, "after the gap", second(), "shop");
  await shipEverything(src, hostId);
}, 180_000);

describe("a gap in the binlog archive", () => {
  it("is shown on the timeline with its cause", async () => {
    const tl = await getTimeline(bed.hosts.src!);
    expect(tl.ranges.length).toBe(2);
    const gap = tl.gaps.find((g) => g.before.file !== "");
    expect(gap, JSON.stringify(tl.gaps)).toBeDefined();
    expect(gap!.cause).toMatch(/archiver was not running .* purged/);
    // the backup's window ends where the archive breaks
    expect(tl.windows.length).toBe(1);
    expect(tl.windows[0]!.to.getTime()).toBeLessThan(after.time.getTime());
  });

  it("refuses a restore past the gap when it is asked for, with a message that names the gap", async () => {
    await expect(startPitr({ input: { hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: after.time.toISOString(), rename: {}, databases: [], dropExisting: false, parallel: 2 }, actor: operator })).rejects.toThrow(
      /No backup connects to .* without a gap\. Backup \S+: the archive has a gap after binlog\.\d+:\d+: the archiver was not running/,
    );
  });

  it("fails a pitr run past the gap with the planner's message, and restores nothing", async () => {
    const run = await enqueueRun({
      kind: "pitr",
      hostId: bed.hosts.dst!,
      params: { hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, untilGtid: after.gtid, rename: {}, databases: [], dropExisting: false, parallel: 2 },
      maxAttempts: 1,
    });
    const done = await waitForRun(run.id);
    expect(done.state).toBe("failed");
    expect(done.error).toMatch(/No backup connects to GTID \S+ through archived binlogs without a gap.*gap after binlog\.\d+:\d+.*purged/);
    const dbs = (await dst.sql<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA")).map((r) => r.n);
    expect(dbs).not.toContain("shop");
  });

  it("still restores a point before the gap", async () => {
    const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: before.time.toISOString() });
    expect(run.state, `${run.error}\n${await runLog(run.id)}`).toBe("succeeded");
    expect(await fingerprint(dst, "shop")).toEqual(before.fp);
  });
});
