// Predicted restore times from the host's own records, and a policy's RTO turning its next
// incremental into a differential or a full (catalog only: the measurements are seeded as the
// verify and pitr runs record them).
import { describe, expect, it } from "vitest";
import type { ChainBase } from "../../server/artifact/chain";
import { listBackups } from "../../server/backups/list-backups";
import { chainBytes, measuredRates, predictRestore } from "../../server/backups/restore-prediction";
import { kindWithinRto } from "../../server/backups/rto-choice";
import { db } from "../../server/db/client";
import { previewHostPitr } from "../../server/pitr/catalog-segments";
import { parseTarget } from "../../server/pitr/plan";
import { useTempCatalog } from "../helpers/catalog";
import { testContext } from "../helpers/physical";

useTempCatalog();
const GiB = 2 ** 30;

async function seed() {
  await db().host.create({ data: { id: "h1", name: "db1", user: "root" } });
  await db().storageTarget.create({ data: { id: "t1", name: "t", kind: "local", path: "/tmp/x" } });
  const at = (m: number) => new Date(Date.UTC(2026, 11, 1, 0, m));
  const mk = (id: string, kind: string, parent: string | null, size: number, m: number) =>
    db().backup.create({
      data: { id, hostId: "h1", targetId: "t1", engine: "mariabackup", format: "xbstream", location: `db1/${id}/`, sizeBytes: BigInt(size), startedAt: at(m), finishedAt: at(m), backupKind: kind, parentBackupId: parent, chainRootId: "F", fromLsn: parent ? "10" : "0", toLsn: "20" },
    });
  await mk("F", "full", null, 10 * GiB, 0);
  await mk("i1", "incremental", "F", 1 * GiB, 60);
  await mk("i2", "incremental", "i1", 1 * GiB, 120);
  await mk("i3", "incremental", "i2", 2 * GiB, 180);
}

const base = (id: string, depth: number): ChainBase => ({ kind: "incremental", parent: { id, location: `db1/${id}/`, manifestSha256: "0".repeat(64), toLsn: "20", rootId: "F", depth } });

describe("predicted restore time", () => {
  it("says 'no measurement yet' until the host has a restore verification, then predicts chain bytes x measured speed + binlogs x replay speed", async () => {
    await seed();
    const none = await measuredRates("h1");
    expect(none).toMatchObject({ restoreMsPerByte: null, replayMsPerByte: null });
    const p0 = predictRestore(none, await chainBytes("i3"));
    expect(p0.ms).toBeNull();
    expect(p0.basis).toMatch(/no measurement yet/);
    const listed = await listBackups({ hostId: "h1" });
    expect(listed.items.find((b) => b.id === "i3")!.predictedRestore).toMatchObject({ ms: null, chainLinks: 4 });

    // a verification of i1 (chain F + i1 = 11 GiB) restored in 110 s: 10 s per GiB
    await db().verification.create({ data: { backupId: "i1", kind: "restore", result: "passed", durationMs: 130_000, checks: JSON.stringify([{ name: "restore and start", ok: true, ms: 110_000, detail: "" }]) } });
    // a failed one does not count
    await db().verification.create({ data: { backupId: "i2", kind: "restore", result: "failed", durationMs: 1, checks: JSON.stringify([{ name: "restore and start", ok: true, ms: 1, detail: "" }]) } });
    // a point-in-time restore from i1 replayed 100 MiB in 20 s
    await db().run.create({ data: { kind: "pitr", state: "succeeded", backupId: "i1", finishedAt: new Date(), result: JSON.stringify({ replay: { bytes: 100 * 2 ** 20, ms: 20_000 } }) } });
    const rates = await measuredRates("h1");
    expect(rates.restoreSamples).toBe(1);
    expect(rates.replaySamples).toBe(1);
    const chain = await chainBytes("i3");
    expect(chain).toEqual({ links: 4, bytes: 14 * GiB });
    expect(predictRestore(rates, chain).ms).toBe(140_000);
    // to a point after i3: plus 50 MiB of binlogs at 200 ms/MiB
    const p = predictRestore(rates, chain, 50 * 2 ** 20);
    expect(p.ms).toBe(150_000);
    expect(p.basis).toMatch(/4 link\(s\).*10\.0 s\/GiB.*1 restore verification.*200 ms\/MiB/);
    expect((await listBackups({ hostId: "h1" })).items.find((b) => b.id === "i3")!.predictedRestore!.ms).toBe(140_000);
    // the restore dialog's plan for the instant of i3 carries the same prediction
    const i3At = new Date(Date.UTC(2026, 11, 1, 3, 0));
    await db().backup.update({ where: { id: "i3" }, data: { binlogFile: "mysql-bin.000001", binlogPos: 400n, consistentAt: i3At } });
    await db().binlogSegment.create({ data: { hostId: "h1", targetId: "t1", fileName: "mysql-bin.000001", location: "binlog/mysql-bin.000001.4", startPos: 4n, endPos: 20n * 2n ** 20n, firstEventAt: new Date(Date.UTC(2026, 11, 1, 0, 0)), lastEventAt: new Date(Date.UTC(2026, 11, 1, 4, 0)), sizeBytes: 20n * 2n ** 20n, storedBytes: 20n * 2n ** 20n, sha256: "0".repeat(64) } });
    const preview = await previewHostPitr("h1", parseTarget({ until: i3At.toISOString() }));
    expect(preview.backup.id).toBe("i3");
    expect(preview.bytesToReplay).toBeGreaterThan(0);
    expect(preview.predicted).toMatchObject({ chainLinks: 4, chainBytes: 14 * GiB, binlogBytes: preview.bytesToReplay });
    // 140 s for the chain, plus the binlog bytes at 200 ms/MiB
    expect(preview.predicted!.ms).toBe(Math.round(140_000 + (preview.bytesToReplay / 2 ** 20) * 200));
  });

  it("a policy's RTO turns the next incremental into a differential, or a full when a differential is too slow too", async () => {
    const ctx = testContext();
    // next incremental after i3: F..i3 (14 GiB) + ~2 GiB = 160 s
    expect(await kindWithinRto(ctx, { hostId: "h1", kind: "incremental", base: base("i3", 3), rtoSeconds: 200 })).toBe("incremental");
    expect(ctx.logs.join("\n")).toMatch(/within the policy's RTO/);
    // without a differential yet, one is estimated as large as the deltas it replaces: no better than the incremental
    expect(await kindWithinRto(ctx, { hostId: "h1", kind: "incremental", base: base("i3", 3), rtoSeconds: 150 })).toBe("full");
    // with an earlier differential of F (1.5 GiB): F + 1.5 + ~2 GiB = 135 s, within 150 s where the incremental's 160 s is not
    await db().backup.create({
      data: { id: "d1", hostId: "h1", targetId: "t1", engine: "mariabackup", format: "xbstream", location: "db1/d1/", sizeBytes: BigInt(1.5 * GiB), startedAt: new Date(Date.UTC(2026, 11, 1, 1)), finishedAt: new Date(Date.UTC(2026, 11, 1, 1)), backupKind: "differential", parentBackupId: "F", chainRootId: "F", fromLsn: "20", toLsn: "30" },
    });
    expect(await kindWithinRto(ctx, { hostId: "h1", kind: "incremental", base: base("i3", 3), rtoSeconds: 150 })).toBe("differential");
    expect(ctx.logs.join("\n")).toMatch(/over the policy's RTO .* taking a differential instead/);
    expect(await kindWithinRto(ctx, { hostId: "h1", kind: "incremental", base: base("i3", 3), rtoSeconds: 100 })).toBe("full");
    expect(ctx.logs.join("\n")).toMatch(/both over the policy's RTO .* taking a full backup instead/);
    // no RTO, or not an incremental: unchanged
    expect(await kindWithinRto(ctx, { hostId: "h1", kind: "incremental", base: base("i3", 3), rtoSeconds: null })).toBe("incremental");
    expect(await kindWithinRto(ctx, { hostId: "h1", kind: "differential", base: base("F", 0), rtoSeconds: 1 })).toBe("differential");
  });
});
