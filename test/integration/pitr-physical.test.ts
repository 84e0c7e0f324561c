// A point-in-time restore whose base is a physical backup (mariadb-backup): the target server's
// datadir is replaced in place (stop, datadir aside, backup in, start with the DBA's start
// command), then the archived binlogs are replayed into it, every database. Admin only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJson } from "../../server/db/client";
import type { Sandbox } from "../../server/mysql/sandbox";
import { startPitr } from "../../server/pitr/start-pitr";
import { useTempCatalog } from "../helpers/catalog";
import { changesAroundMark, detachedTarget, seedShopCrm, type DetachedTarget } from "../helpers/pitr-physical";
import { useMariaDB } from "../helpers/mariadb";
import { runLog } from "../helpers/runs";
import { admin, archive, backupNow, fingerprint, operator, pitrBed, pitrRun, type Bed, type Mark } from "../helpers/pitr";

useTempCatalog();
const src = await useMariaDB();
let target: DetachedTarget;
let dst: Sandbox;
let startScript: string;
let bed: Bed;
let m: Mark;
let crmAtMark: Record<string, string>;

beforeAll(async () => {
  target = await detachedTarget("dbbackup-pitr-physical-");
  ({ dst, startScript } = target);
  bed = await pitrBed({ src, dst });
  await seedShopCrm(src);
  await archive(bed, bed.hosts.src!);
  const b = await backupNow(bed, bed.hosts.src!, [], "mariabackup");
  expect(b.format).toBe("xbstream");
  ({ m, crmAtMark } = await changesAroundMark(src, bed.hosts.src!));
}, 240_000);

afterAll(() => target.stop(), 60_000);

describe("point-in-time restore from a physical base backup", () => {
  it("needs an admin, the host name typed and a start command", async () => {
    const input = { hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: m.time.toISOString(), rename: {}, databases: [], dropExisting: false, parallel: 2 };
    await expect(startPitr({ input, actor: operator })).rejects.toThrow(/physical \(xbstream\).*needs an admin/);
    await expect(startPitr({ input: { ...input, startCommand: startScript }, actor: admin })).rejects.toThrow(/Type the host name \(dst\)/);
  });

  it("replaces the target's datadir with the backup and replays every database to the instant", async () => {
    const done = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: m.time.toISOString(), confirm: "dst", startCommand: startScript }, admin);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    expect(await fingerprint(dst, "shop")).toEqual(m.fp);
    expect(await fingerprint(dst, "crm")).toEqual(crmAtMark);
    const result = parseJson<Record<string, any>>(done.result, {});
    expect(result.backupEngine).toBe("mariabackup");
    expect(result.replay.transactions).toBeGreaterThanOrEqual(4);
  });
});
