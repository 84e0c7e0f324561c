// A point-in-time restore whose base is a mariabackup incremental: the plan takes the newest chain
// member before the target (the incremental, not its full), the target's datadir is replaced with
// the chain prepared in order (full, then the incremental), then the archived binlogs are replayed
// to a marked instant. A chain whose link is lost is not used as a base.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJson } from "../../server/db/client";
import type { Sandbox } from "../../server/mysql/sandbox";
import { planHostPitr } from "../../server/pitr/catalog-segments";
import { startBackup } from "../../server/backups/start-backup";
import { db } from "../../server/db/client";
import { useTempCatalog } from "../helpers/catalog";
import { changesAroundMark, detachedTarget, seedShopCrm, type DetachedTarget } from "../helpers/pitr-physical";
import { useMariaDB } from "../helpers/mariadb";
import { runLog, waitForRun } from "../helpers/runs";
import { admin, archive, backupNow, fingerprint, operator, pitrBed, pitrRun, type Bed, type Mark } from "../helpers/pitr";

useTempCatalog();
const src = await useMariaDB();
let target: DetachedTarget;
let dst: Sandbox;
let startScript: string;
let bed: Bed;
let m: Mark;
let crmAtMark: Record<string, string>;
let fullId: string;
let incId: string;

beforeAll(async () => {
  target = await detachedTarget("dbbackup-pitr-incr-");
  ({ dst, startScript } = target);
  bed = await pitrBed({ src, dst });
  await seedShopCrm(src);
  await archive(bed, bed.hosts.src!);
  const b = await backupNow(bed, bed.hosts.src!, [], "mariabackup");
  expect(b.format).toBe("xbstream");
  fullId = b.id;
  await src.sql("UPDATE shop.orders SET amount = amount + 1 WHERE id % 5 = 0; INSERT INTO crm.contacts VALUES (101, 'after full')");
  const run = await startBackup({ input: { hostId: bed.hosts.src!, targetId: bed.targetId, engine: "mariabackup", backupKind: "incremental", compression: "zstd", parallel: 2 }, actor: operator });
  const done = await waitForRun(run.id);
  expect(done.state, await runLog(run.id)).toBe("succeeded");
  incId = done.backupId!;
  ({ m, crmAtMark } = await changesAroundMark(src, bed.hosts.src!));
}, 240_000);

afterAll(() => target.stop(), 60_000);

describe("point-in-time restore from an incremental", () => {
  it("plans the incremental, the newest chain member before the instant, as the base", async () => {
    const inc = await db().backup.findUniqueOrThrow({ where: { id: incId } });
    expect(inc).toMatchObject({ backupKind: "incremental", parentBackupId: fullId });
    const plan = await planHostPitr(bed.hosts.src!, { time: m.time });
    expect(plan.backup.id).toBe(incId);
  });

  it("restores the chain in place and replays the binlogs to the marked instant", async () => {
    const done = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: m.time.toISOString(), confirm: "dst", startCommand: startScript }, admin);
    const log = await runLog(done.id);
    expect(done.state, `${done.error}\n${log}`).toBe("succeeded");
    expect(done.backupId).toBe(incId);
    expect(log).toMatch(/Prepared link 1\/2 \(full/);
    expect(log).toMatch(/Prepared link 2\/2 \(incremental/);
    expect(await fingerprint(dst, "shop")).toEqual(m.fp);
    expect(await fingerprint(dst, "crm")).toEqual(crmAtMark);
    const result = parseJson<Record<string, any>>(done.result, {});
    expect(result.replay.transactions).toBeGreaterThanOrEqual(4);
  });

  it("a broken chain is not a base: the plan falls back to the full", async () => {
    await db().backup.update({ where: { id: incId }, data: { chainBroken: "test: a link is lost" } });
    const plan = await planHostPitr(bed.hosts.src!, { time: m.time });
    expect(plan.backup.id).toBe(fullId);
    await db().backup.update({ where: { id: incId }, data: { chainBroken: null } });
  });
});
