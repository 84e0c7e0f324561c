// A backup is read-only for the server it backs up: the binlog position and the GTID state are the
// same before and after a backup with every engine, and a backup of a read-only GTID replica adds
// no transaction of its own (an errant GTID would break failover and gtid_strict_mode).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logicalEngine } from "../../server/engines/logical";
import { createSnapshotEngine } from "../../server/engines/snapshot/snapshot-engine";
import { startSandbox, type Sandbox } from "../../server/mysql/sandbox";
import { LocalStore } from "../../server/storage/local-store";
import { runCli } from "../fixtures/cli/run-cli";
import { waitFor } from "../helpers/binlog";
import { checksums } from "../helpers/runs";
import { createBtrfsVolume, runBackup, seedSample, testContext } from "../helpers/physical";

let vol: Awaited<ReturnType<typeof createBtrfsVolume>>;
let src: Sandbox;
let work: string;
const others: Sandbox[] = [];
const conn = (sb: Sandbox) => ["--host", "127.0.0.1", "--port", String(sb.port), "--user", "root"];
const sqlOf = (sb: Sandbox) => <T>(q: string, p?: unknown[]) => sb.sql(q, p) as Promise<T[]>;

/** Everything a backup could move in the binlog: file, position, and the three GTID positions. */
async function binlogState(sb: Sandbox) {
  const [st] = await sb.sql<{ File: string; Position: string }>("SHOW MASTER STATUS");
  const [g] = await sb.sql<Record<string, string>>("SELECT @@gtid_binlog_pos AS binlog, @@gtid_current_pos AS current, @@gtid_binlog_state AS state");
  return { file: st!.File, position: Number(st!.Position), ...g };
}

beforeAll(async () => {
  vol = await createBtrfsVolume(2);
  src = await startSandbox({ dir: await vol.subvolume("mysql"), removeOnStop: false });
  await seedSample(src, 1500);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dbbackup-binlog-neutral-"));
}, 180_000);

afterAll(async () => {
  for (const sb of others) await sb.stop().catch(() => undefined);
  await src?.stop().catch(() => undefined);
  await vol?.destroy();
  if (work) fs.rmSync(work, { recursive: true, force: true });
}, 120_000);

describe("a backup does not write to the source's binlog", () => {
  const cases: { name: string; args: (out: string) => string[]; output: string }[] = [
    { name: "logical backup set, 4 connections", output: "set4/", args: (o) => ["--engine", "logical", "--parallel", "4", "--output", o] },
    { name: "logical backup set, 1 connection", output: "set1/", args: (o) => ["--engine", "logical", "--parallel", "1", "--output", o] },
    { name: "logical single SQL file", output: "all.sql.zst", args: (o) => ["--engine", "mysqldump", "--output", o] },
    { name: "mariabackup", output: "xb/", args: (o) => ["--engine", "mariabackup", "--output", o] },
    { name: "snapshot (Btrfs)", output: "snap.tar.gz", args: (o) => ["--engine", "snapshot", "--output", o] },
  ];
  for (const c of cases) {
    it(`${c.name}: binlog position and GTID state unchanged`, async () => {
      const before = await binlogState(src);
      const r = await runCli(["physical-backup", ...conn(src), ...c.args(path.join(work, c.output))]);
      expect(r.code, r.stderr).toBe(0);
      expect(await binlogState(src)).toEqual(before);
    });
  }

  // FLUSH TABLES WITH READ LOCK is the lock MySQL (and MariaDB before 10.4) gets: the same
  // statements run here on MariaDB when asked for, so a FLUSH that is logged would show up
  const locked: { name: string; lock: string; run: (store: LocalStore) => ReturnType<typeof runBackup> }[] = [
    { name: "logical backup set under FLUSH TABLES WITH READ LOCK, 4 connections", lock: "snapshot", run: (store) => runBackup({ engine: logicalEngine, ctx: testContext(), sb: src, store, prefix: "ftwrl-logical/", encoding: { compression: "zstd", key: null }, parallel: 4, options: { lockMechanism: "ftwrl" } }) },
    { name: "snapshot (Btrfs) under FLUSH TABLES WITH READ LOCK", lock: "lockMethod", run: (store) => runBackup({ engine: createSnapshotEngine(), ctx: testContext(), sb: src, store, prefix: "ftwrl-snapshot/", encoding: { compression: "zstd", key: null }, options: { lockMethod: "ftwrl" } }) },
  ];
  for (const c of locked) {
    it(`${c.name}: binlog position and GTID state unchanged`, async () => {
      const before = await binlogState(src);
      const { manifest } = await c.run(new LocalStore(path.join(work, "ftwrl")));
      expect(manifest.details[c.lock]).toBe("ftwrl");
      expect(await binlogState(src)).toEqual(before);
    });
  }
});

describe("a backup of a read-only GTID replica", () => {
  let replica: Sandbox;
  beforeAll(async () => {
    replica = await startSandbox({ args: ["--log-slave-updates", "--gtid-strict-mode=1", "--read-only=1"] });
    others.push(replica);
    // the replica starts from the primary's current GTID state and replicates from there on
    const [{ pos }] = await src.sql<{ pos: string }>("SELECT @@gtid_binlog_pos AS pos");
    await replica.sql(`SET GLOBAL gtid_slave_pos = '${pos}'`);
    const dump = await runCli(["physical-backup", ...conn(src), "--engine", "logical", "--output", path.join(work, "seed/")]);
    expect(dump.code, dump.stderr).toBe(0);
    const load = await runCli(["restore", "--from", path.join(work, "seed/"), ...conn(replica)]);
    expect(load.code, load.stderr).toBe(0);
    // restoring wrote the replica's own binlog; start its GTID history from the primary's state
    await replica.sql("RESET MASTER");
    await replica.sql(`SET GLOBAL gtid_slave_pos = '${pos}'`);
    await replica.sql(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${src.port}, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos`);
    await replica.sql("START SLAVE");
    await src.sql("INSERT INTO shop.markers (label, at) VALUES ('replicated', NOW(6))");
    await waitCaughtUp(replica, src);
  }, 180_000);

  it("succeeds, adds no GTID of the replica's own, and replication keeps running", async () => {
    const [mode] = await replica.sql<Record<string, string>>("SELECT @@read_only AS ro, @@gtid_strict_mode AS strict, @@log_slave_updates AS lsu");
    expect(mode).toEqual({ ro: "1", strict: "1", lsu: "1" });
    const atBackup: Record<string, Record<string, string>> = {};
    for (const db of ["shop", "crm"]) atBackup[db] = await checksums(sqlOf(src), db);
    const before = await binlogState(replica);
    const r = await runCli(["physical-backup", ...conn(replica), "--engine", "logical", "--output", path.join(work, "replica-set/")]);
    expect(r.code, r.stderr).toBe(0);
    expect(await binlogState(replica)).toEqual(before);
    // no GTID with the replica's server_id anywhere in its state
    const [own] = await replica.sql<{ state: string; current: string }>("SELECT @@gtid_binlog_state AS state, @@gtid_current_pos AS current");
    const ofReplica = (list: string) => list.split(",").filter((g) => g.split("-")[1] === String(replica.serverId));
    expect(ofReplica(own!.state)).toEqual([]);
    expect(ofReplica(own!.current)).toEqual([]);

    // replication goes on (gtid_strict_mode would stop it on an errant GTID)
    await src.sql("INSERT INTO shop.markers (label, at) VALUES ('after backup', NOW(6))");
    await waitCaughtUp(replica, src);
    const [status] = await replica.sql<{ Slave_SQL_Running: string; Slave_IO_Running: string; Last_SQL_Error: string }>("SHOW SLAVE STATUS");
    expect(status).toMatchObject({ Slave_SQL_Running: "Yes", Slave_IO_Running: "Yes", Last_SQL_Error: "" });

    // and the replica's backup restores equal to the primary
    const fresh = await startSandbox({});
    others.push(fresh);
    const rr = await runCli(["restore", "--from", path.join(work, "replica-set/"), ...conn(fresh)]);
    expect(rr.code, rr.stderr).toBe(0);
    // equal to the primary as it was when the backup was taken (before 'after backup')
    for (const db of ["shop", "crm"]) expect(await checksums(sqlOf(fresh), db), db).toEqual(atBackup[db]);
    expect((await fresh.sql<{ n: string }>("SELECT COUNT(*) AS n FROM shop.markers WHERE label = 'replicated'"))[0]!.n).toBe("1");
  });
});

/** Waits until the replica has applied everything the primary has logged. */
async function waitCaughtUp(replica: Sandbox, primary: Sandbox) {
  const [{ pos }] = await primary.sql<{ pos: string }>("SELECT @@gtid_binlog_pos AS pos");
  await waitFor(`the replica to reach ${pos}`, async () => {
    const [s] = await replica.sql<{ Last_SQL_Error: string; Last_IO_Error: string }>("SHOW SLAVE STATUS");
    if (s?.Last_SQL_Error || s?.Last_IO_Error) throw new Error(`replication stopped: ${s.Last_SQL_Error || s.Last_IO_Error}`);
    const [{ cur }] = await replica.sql<{ cur: string }>("SELECT @@gtid_slave_pos AS cur");
    return cur === pos;
  }, 30_000);
}
