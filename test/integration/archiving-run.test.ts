import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startArchiving, stopArchiving } from "../../server/archive-runs/manage-archiving";
import { db } from "../../server/db/client";
import { getTimeline } from "../../server/pitr/timeline";
import { Runner } from "../../server/runner/runner";
import { useTempCatalog } from "../helpers/catalog";
import { useMariaDB } from "../helpers/mariadb";

useTempCatalog();
const sb = await useMariaDB();
const targetDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-archive-target-"));
const actor = { system: "test" };
let runner: Runner;
let hostId: string;
let targetId: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await sleep(100);
  }
}

beforeAll(async () => {
  runner = new Runner({ pollMs: 50 });
  runner.start();
  hostId = (await db().host.create({ data: { id: "h-arch", name: "arch-db", host: "127.0.0.1", port: sb.port, user: "root", tlsMode: "disabled", archiveCompress: true } })).id;
  targetId = (await db().storageTarget.create({ data: { id: "s-arch", name: "local", kind: "local", path: targetDir } })).id;
  await sb.sql("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(100))");
});
afterAll(async () => {
  await runner.stop();
  fs.rmSync(targetDir, { recursive: true, force: true });
});

describe("binlog archiving as a run", () => {
  it("streams, ships rotated files indexed in the catalog, reports lag, and stops cleanly", async () => {
    await startArchiving({ hostId, targetId, actor });
    await waitFor(async () => (await db().archiverState.findUnique({ where: { hostId } }))?.status === "running");
    for (let i = 0; i < 20; i++) await sb.sql("INSERT INTO app.t (v) VALUES (?)", [`row ${i}`]);
    await sb.sql("FLUSH BINARY LOGS");
    await sb.sql("INSERT INTO app.t (v) VALUES ('after rotate')");
    const shipped = await waitFor(async () => {
      const segs = await db().binlogSegment.findMany({ where: { hostId } });
      return segs.some((s) => s.fileComplete) ? segs : null;
    });
    const complete = shipped.find((s) => s.fileComplete)!;
    // the archive's bytes are the server's bytes
    const serverFile = fs.readFileSync(path.join(sb.datadir, complete.fileName));
    if (Number(complete.startPos) === 4) expect(complete.sha256).toBe(crypto.createHash("sha256").update(serverFile).digest("hex"));
    expect(complete.compressed).toBe(true);
    expect(fs.existsSync(path.join(targetDir, complete.location))).toBe(true);
    const st = await waitFor(async () => {
      const s = await db().archiverState.findUnique({ where: { hostId } });
      return s?.lagSeconds !== null && s?.lagSeconds !== undefined ? s : null;
    });
    expect(st.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(st.lagSeconds).toBeLessThan(30);

    await stopArchiving({ hostId, actor });
    const run = await waitFor(async () => {
      const r = await db().run.findFirst({ where: { hostId, kind: "binlog" }, orderBy: { queuedAt: "desc" } });
      return r && !["queued", "running"].includes(r.state) ? r : null;
    });
    expect(run.state).toBe("cancelled");
    expect((await db().archiverState.findUnique({ where: { hostId } }))!.status).toMatch(/stopped|running/);
    // the open file was shipped as a partial segment on the clean stop
    const all = await db().binlogSegment.findMany({ where: { hostId }, orderBy: [{ fileName: "asc" }, { startPos: "asc" }] });
    expect(all.length).toBeGreaterThan(shipped.filter((s) => s.fileComplete).length);
    const tl = await getTimeline(hostId);
    expect(tl.ranges.length).toBe(1);
    expect(tl.gaps.some((g) => /archiver is stopped/.test(g.cause))).toBe(true);
  });
});
