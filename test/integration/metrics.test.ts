import { describe, expect, it } from "vitest";
import { db } from "../../server/db/client";
import { renderMetrics } from "../../server/metrics/registry";
import { useTempCatalog } from "../helpers/catalog";

useTempCatalog();

describe("/api/metrics", () => {
  it("reports last success, duration, size, lag, verification and queue depth from the catalog", async () => {
    const h = await db().host.create({ data: { id: "h-m", name: "shop-db", user: "root" } });
    const t = await db().storageTarget.create({ data: { id: "s-m", name: "t", kind: "local", path: "/tmp/x" } });
    const finished = new Date("2026-11-24T03:10:00Z");
    const b = await db().backup.create({
      data: { id: "b-m", hostId: h.id, targetId: t.id, engine: "logical", location: "x/", sizeBytes: 123456789n, startedAt: new Date(finished.getTime() - 90_000), finishedAt: finished, lockMs: 12.5 },
    });
    await db().verification.create({ data: { backupId: b.id, result: "failed", durationMs: 42_000 } });
    await db().archiverState.create({ data: { hostId: h.id, status: "running", lagSeconds: 0.8 } });
    await db().run.create({ data: { kind: "backup", hostId: h.id, state: "queued" } });
    await db().run.create({ data: { kind: "backup", hostId: h.id, state: "queued" } });
    const { body, contentType } = await renderMetrics();
    expect(contentType).toMatch(/text\/plain/);
    expect(body).toContain(`dbbackup_backup_last_success_timestamp_seconds{host="shop-db",policy=""} ${finished.getTime() / 1000}`);
    expect(body).toContain(`dbbackup_backup_last_duration_seconds{host="shop-db",policy=""} 90`);
    expect(body).toContain(`dbbackup_backup_last_size_bytes{host="shop-db",policy=""} 123456789`);
    expect(body).toContain(`dbbackup_binlog_archive_lag_seconds{host="shop-db"} 0.8`);
    expect(body).toContain(`dbbackup_verification_last_passed{host="shop-db"} 0`);
    expect(body).toContain(`dbbackup_restore_drill_last_duration_seconds{host="shop-db"} 42`);
    expect(body).toContain(`dbbackup_runner_queue_depth{kind="backup"} 2`);
  });
});
