import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listArchivedSegments } from "../../server/binlog/archive-reader";
import { runArchiver } from "../../server/binlog/archiver";
import type { ArchiverStatus, SegmentMeta } from "../../server/binlog/archiver-types";
import { groupTransactions } from "../../server/binlog/group-transactions";
import { parseMariaGtidPos } from "../../server/binlog/gtid-mariadb";
import { readEvents } from "../../server/binlog/read-events";
import { LocalStore } from "../../server/storage/local-store";
import { useMariaDB } from "../helpers/mariadb";
import { compareArchiveWithServer, testContext, waitCaughtUp, waitFor } from "../helpers/binlog";

const sb = await useMariaDB();
const work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-binlog-gtid-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function gtidPos(): Promise<string> {
  return (await sb.sql<{ p: string }>("SELECT @@gtid_binlog_pos AS p"))[0]!.p;
}

async function commitMany(n: number, tag: string) {
  const c = await sb.connect();
  try {
    for (let i = 0; i < n; i++) await c.query("INSERT INTO g.t (tag, n) VALUES (?, ?)", [tag, i]);
  } finally {
    await c.end();
  }
}

/** GTIDs of the transactions in the archive, in order, read back from the stored segments. */
async function archivedGtids(store: LocalStore, prefix: string): Promise<{ gtids: string[]; segments: SegmentMeta[] }> {
  const segments = await listArchivedSegments(store, prefix);
  const gtids: string[] = [];
  for (const s of segments) {
    const events = readEvents(fs.createReadStream(path.join(store.root, s.key)), { fileName: s.file });
    for await (const t of groupTransactions(events)) if (t.gtid && t.complete) gtids.push(t.gtid);
  }
  return { gtids, segments };
}

describe("MariaDB GTID start", () => {
  it("starts right after the given GTID, in an older file, and resumes by checkpoint without duplicates", { timeout: 120_000 }, async () => {
    await sb.sql("CREATE DATABASE g; CREATE TABLE g.t (id INT PRIMARY KEY AUTO_INCREMENT, tag VARCHAR(10), n INT)");
    await commitMany(20, "before");
    const startAt = await gtidPos();
    await commitMany(15, "after1");
    await sb.sql("FLUSH BINARY LOGS");
    await commitMany(10, "after2");

    const store = new LocalStore(path.join(work, "store"));
    const dir = path.join(work, "dir");
    let status: ArchiverStatus | null = null;
    const ac = new AbortController();
    const ctx = testContext(ac.signal);
    const run = runArchiver(ctx, { server: sb.address(), dir, store, storePrefix: "g/", start: { gtid: startAt }, heartbeatSeconds: 1, onStatus: (s) => (status = s) });
    await waitFor("streaming", () => status?.state === "streaming");
    await waitCaughtUp(sb, () => status);
    ac.abort();
    const first = await run;
    expect(first.stoppedAt.gtid).toBe(await gtidPos());

    // more transactions while it is stopped, then a resume from the state file (start is ignored)
    await commitMany(12, "after3");
    const ac2 = new AbortController();
    status = null;
    const run2 = runArchiver(testContext(ac2.signal), { server: sb.address(), dir, store, storePrefix: "g/", start: { gtid: "0-1-1" }, heartbeatSeconds: 1, onStatus: (s) => (status = s) });
    await commitMany(5, "after4");
    await waitCaughtUp(sb, () => status);
    ac2.abort();
    const second = await run2;
    const endPos = await gtidPos();
    expect(second.stoppedAt.gtid).toBe(endPos);

    // the archive holds exactly the transactions after the start GTID, each once, in order
    const [start] = parseMariaGtidPos(startAt);
    const [end] = parseMariaGtidPos(endPos);
    const want: string[] = [];
    for (let s = start!.seq + 1n; s <= end!.seq; s++) want.push(`${start!.domain}-${sb.serverId}-${s}`);
    const { gtids, segments } = await archivedGtids(store, "g/");
    expect(gtids).toEqual(want);
    expect(want.length).toBe(15 + 10 + 12 + 5);
    // the skipped transactions before the start GTID show as a gap in the first file, not as data
    expect(segments.some((s) => s.endedBy === "gap")).toBe(true);
    // the first segment after the gap starts with the transaction right after the start GTID
    expect(segments.find((s) => s.gtidFirst)!.gtidFirst).toBe(want[0]);
    // files the archive covers from their start are identical to the server's
    const cmp = await compareArchiveWithServer(sb, store, "g/");
    const covered = cmp.filter((c) => !c.archive.startsWith("error"));
    expect(covered.length).toBeGreaterThanOrEqual(1);
    for (const c of covered) expect(c.archive).toBe(c.server);
    expect(cmp.find((c) => c.archive.startsWith("error"))?.archive).toMatch(/gap/);
  });
});
