// mariabackup chains against a real MariaDB under a write load: a full, three incrementals and a
// differential through the backup pipeline (encrypted, zstd, --incremental-lsn from the base's
// recorded to_lsn), each restored by preparing its chain in order into a new sandbox and compared
// with the source at its point by CHECKSUM TABLE ... EXTENDED; then a deleted and a corrupted
// middle link are found before anything is prepared.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupSetReader } from "../../server/artifact/backup-set-reader";
import type { Manifest } from "../../server/artifact/manifest";
import { backupToSet } from "../../server/backup-pipeline/backup-to-set";
import { baseFromSet } from "../../server/backup-pipeline/chain-base";
import { createMariabackupEngine } from "../../server/engines/mariabackup/mariabackup-engine";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { ChainBrokenError, openChain } from "../../server/restore/physical/open-chain";
import { restorePhysicalToSandboxDetailed } from "../../server/restore/physical/restore-to-sandbox";
import { LocalStore } from "../../server/storage/local-store";
import { factsOf, seedSample, startWriter, tableStates, testContext } from "../helpers/physical";

const engine = createMariabackupEngine();
const key = crypto.randomBytes(32);
let source: Sandbox;
let work: string;
let store: LocalStore;
const started: Sandbox[] = [];

type Taken = { name: string; manifest: Manifest; ms: number; states: Record<string, { checksum: string; rows: number }> };
const taken: Record<string, Taken> = {};
const WORKLOAD = ["shop.orders", "shop.counters"];

beforeAll(async () => {
  source = await startSandbox();
  await seedSample(source, 600);
  work = await fs.mkdtemp(path.join(os.tmpdir(), "dbbackup-incr-"));
  store = new LocalStore(path.join(work, "store"));
}, 180_000);

afterAll(async () => {
  for (const sb of started) await sb.stop().catch(() => undefined);
  await source?.stop().catch(() => undefined);
  if (work) await fs.rm(work, { recursive: true, force: true });
}, 120_000);

const open = (prefix: string) => BackupSetReader.open(store, prefix, key);
/** Chains in this file name their parents by prefix in `store`, the way the CLI names them by location. */
const openWithChain = async (prefix: string) => {
  const r = await open(prefix);
  await openChain(r, (p) => open(p.location));
  return r;
};

/** The tables other than the running workload, as they are now (nothing but the workload writes during a backup). */
async function quietStates() {
  const all = await tableStates(source);
  for (const t of WORKLOAD) delete all[t];
  return all;
}

async function take(name: string, base: { from: string; kind: "incremental" | "differential" } | null) {
  const facts = await factsOf(source);
  const t0 = Date.now();
  const { manifest } = await backupToSet(testContext(), {
    server: source.address(),
    facts,
    engine,
    store,
    prefix: `source/${name}/`,
    compression: "zstd",
    key,
    filter: {},
    parallel: 2,
    hostName: "source",
    backupId: name,
    base: base ? await baseFromSet(store, `source/${base.from}/`, { location: `source/${base.from}/`, kind: base.kind }) : null,
  });
  taken[name] = { name, manifest, ms: Date.now() - t0, states: await quietStates() };
  return manifest;
}

/** Changes a share of the rows of every kind of table between two backups (InnoDB, Aria, MyISAM). */
async function change(round: number) {
  await source.sql(`UPDATE shop.customers SET balance = balance + ${round}, meta = JSON_SET(meta, '$.round', ${round}) WHERE id % 50 = ${round}`);
  await source.sql(`INSERT INTO crm.notes SELECT 100000 * ${round} + seq, REPEAT('r${round}', 100), 'b', seq, '2021-01-01' FROM shop.seq_1_to_200`);
  await source.sql(`UPDATE shop.products SET price = price + 1 WHERE id % 10 = ${round}`);
  await source.sql(`INSERT INTO shop.legacy VALUES (${100000 + round}, 'round ${round}')`);
  await source.sql(`DELETE FROM crm.attachments WHERE id % 97 = ${round}`);
}

/** Restores `name` (its chain prepared in order) and compares it with the source at its point. */
async function expectRestoresAtItsPoint(name: string) {
  const t = taken[name]!;
  const reader = await openWithChain(`source/${name}/`);
  const phases: string[] = [];
  const ctx = testContext((p) => {
    if (p.phase && phases.at(-1) !== p.phase) phases.push(p.phase);
  });
  const t0 = Date.now();
  const { sandbox: restored, restore } = await restorePhysicalToSandboxDetailed(ctx, { reader, dir: path.join(work, `r-${name}`) });
  started.push(restored);
  const ms = Date.now() - t0;
  const depth = t.manifest.chain!.depth;
  // one extraction and one prepare per link, in chain order, each reported
  expect(restore.steps?.map((s) => s.id)).toEqual([...reader.ancestors.map((a) => a.manifest.id), name]);
  for (let i = 1; i <= depth + 1; i++) {
    expect(phases.some((p) => p.startsWith(`extracting ${i}/${depth + 1}`))).toBe(true);
    expect(phases.some((p) => p.startsWith(`preparing ${i}/${depth + 1}`))).toBe(true);
  }
  // the workload: each transaction inserted order i and set the counter to i, so the copy's counter says where it stopped
  const [{ n }] = await restored.sql<{ n: string }>("SELECT n FROM shop.counters WHERE id = 1");
  const [{ c, m }] = await restored.sql<{ c: string; m: string | null }>("SELECT COUNT(*) c, MAX(id) m FROM shop.orders");
  expect(Number(c)).toBe(Number(n));
  expect(Number(m ?? 0)).toBe(Number(n));
  await source.sql(`DROP TABLE IF EXISTS shop.orders_at; CREATE TABLE shop.orders_at LIKE shop.orders; INSERT INTO shop.orders_at SELECT * FROM shop.orders WHERE id <= ${Number(n)}`);
  const [want] = await source.sql<{ Checksum: string }>("CHECKSUM TABLE shop.orders_at EXTENDED");
  const [got] = await restored.sql<{ Checksum: string }>("CHECKSUM TABLE shop.orders EXTENDED");
  expect(String(got!.Checksum)).toBe(String(want!.Checksum));
  await source.sql("DROP TABLE shop.orders_at");
  // every other table equals the source at the backup's point
  const states = await tableStates(restored);
  for (const w of WORKLOAD) delete states[w];
  expect(states).toEqual(t.states);
  await restored.stop();
  return { n: Number(n), ms, prepareMs: restore.prepareMs, steps: restore.steps! };
}

describe("mariabackup incremental and differential chains", () => {
  it("takes a full, three incrementals and a differential under load; each restores equal to the source at its point", async () => {
    const writer = startWriter(source);
    await new Promise((r) => setTimeout(r, 300));
    const full = await take("full", null);
    expect(full.chain).toMatchObject({ kind: "full", fromLsn: "0", parent: null, rootId: "full", depth: 0 });
    await change(1);
    const i1 = await take("inc1", { from: "full", kind: "incremental" });
    await change(2);
    const i2 = await take("inc2", { from: "inc1", kind: "incremental" });
    await change(3);
    const i3 = await take("inc3", { from: "inc2", kind: "incremental" });
    await change(4);
    const d = await take("diff", { from: "full", kind: "differential" });
    const committed = await writer.stop();
    expect(committed).toBeGreaterThan(0);

    // LSNs line up link to link; the differential starts where the full ends
    expect(i1.chain).toMatchObject({ kind: "incremental", fromLsn: full.chain!.toLsn, parent: { id: "full", location: "source/full/" }, rootId: "full", depth: 1 });
    expect(i2.chain).toMatchObject({ fromLsn: i1.chain!.toLsn, parent: { id: "inc1" }, depth: 2 });
    expect(i3.chain).toMatchObject({ fromLsn: i2.chain!.toLsn, parent: { id: "inc2" }, depth: 3 });
    expect(d.chain).toMatchObject({ kind: "differential", fromLsn: full.chain!.toLsn, parent: { id: "full" }, rootId: "full", depth: 1 });
    for (const m of [i1, i2, i3, d]) {
      // to_lsn is the checkpoint the tool started from: it may not move between two close backups
      expect(BigInt(m.chain!.toLsn)).toBeGreaterThanOrEqual(BigInt(m.chain!.fromLsn));
      expect(m.objects.map((o) => o.path)).toEqual(["backup.xbstream.zst.enc"]);
      expect(m.encryption?.keyId).toBeTruthy();
    }
    // (how much smaller a delta is depends on the data: on this small server redo and the non-InnoDB
    // system tables dominate; npm run bench measures it after changing 1% and 10% of rows)

    const results: Record<string, Awaited<ReturnType<typeof expectRestoresAtItsPoint>>> = {};
    for (const name of ["full", "inc1", "inc2", "inc3", "diff"]) results[name] = await expectRestoresAtItsPoint(name);
    // each later backup holds more of the workload than the one before it
    expect(results.inc1!.n).toBeGreaterThan(results.full!.n);
    expect(results.inc2!.n).toBeGreaterThan(results.inc1!.n);
    expect(results.inc3!.n).toBeGreaterThan(results.inc2!.n);
    expect(results.diff!.n).toBeGreaterThan(results.inc3!.n);
    expect(results.inc3!.steps.map((s) => s.kind)).toEqual(["full", "incremental", "incremental", "incremental"]);
    expect(results.diff!.steps.map((s) => s.kind)).toEqual(["full", "differential"]);
    for (const [k, t] of Object.entries(taken)) {
      const r = results[k]!;
      console.log(`${k}: backup ${t.ms} ms, ${t.manifest.totals.rawBytes} raw / ${t.manifest.totals.storedBytes} stored bytes, LSN ${t.manifest.chain!.fromLsn}..${t.manifest.chain!.toLsn}; restore ${r.ms} ms (prepare ${r.prepareMs} ms over ${r.steps.length} link(s))`);
    }
  }, 300_000);

  it("a delta without its chain, or with a deleted or corrupted middle link, is refused before anything is prepared", async () => {
    // no chain given: the restorer says what it needs instead of preparing a delta alone
    const bare = await open("source/inc3/");
    const err0 = await restorePhysicalToSandboxDetailed(testContext(), { reader: bare, dir: path.join(work, "bare") }).catch((e) => e);
    expect(String(err0.message)).toMatch(/needs every earlier link of its chain/);
    await expect(fs.readdir(path.join(work, "bare", "data"))).resolves.toEqual([]);

    // the middle link's object deleted: found by opening the chain, naming inc2 and what it breaks
    const obj = path.join(work, "store", "source", "inc2", "backup.xbstream.zst.enc");
    const saved = await fs.readFile(obj);
    await fs.rm(obj);
    const err1 = await openWithChain("source/inc3/").catch((e) => e);
    expect(err1).toBeInstanceOf(ChainBrokenError);
    expect(err1.brokenId).toBe("inc2");
    expect(String(err1.message)).toMatch(/chain of backup inc3 is broken at inc2.*backup\.xbstream\.zst\.enc is missing/);
    // inc1 does not depend on inc2: still opens
    await expect(openWithChain("source/inc1/")).resolves.toBeTruthy();

    // the middle link's bytes damaged (same size): found while the links are extracted, before the first prepare
    const bad = Buffer.from(saved);
    bad[Math.floor(bad.length / 2)]! ^= 0xff;
    await fs.writeFile(obj, bad);
    const reader = await openWithChain("source/inc3/");
    const ctx = testContext();
    const err2 = await restorePhysicalToSandboxDetailed(ctx, { reader, dir: path.join(work, "corrupt") }).catch((e) => e);
    expect(String(err2.message)).toMatch(/link 3 of 4 \(incremental inc2\)/);
    expect(ctx.logs.filter((l) => /Prepared link/.test(l))).toEqual([]);
    expect(String(err2.message)).toMatch(/Nothing was prepared/);
    // the extracted links' directories are removed; only the (unprepared) datadir stays, for the caller to remove
    await expect(fs.readdir(path.join(work, "corrupt"))).resolves.toEqual(["data"]);

    // a replaced parent (another backup's manifest at its place) is not the base the child was taken against
    await fs.writeFile(obj, saved);
    const m = path.join(work, "store", "source", "inc2", "manifest.json");
    const text = await fs.readFile(m, "utf8");
    await fs.writeFile(m, text.replace(/"finishedAt": "[^"]+"/, '"finishedAt": "2000-01-01T00:00:00.000Z"'));
    const err3 = await openWithChain("source/inc3/").catch((e) => e);
    expect(err3).toBeInstanceOf(ChainBrokenError);
    expect(String(err3.message)).toMatch(/not the one inc3 was taken against/);
    await fs.writeFile(m, text);
    await expect(openWithChain("source/inc3/")).resolves.toBeTruthy();
  });
});
