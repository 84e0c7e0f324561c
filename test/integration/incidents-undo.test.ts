// Undo of a time range of one table's row changes, without a restore: the inverse row events of
// the range, applied in one transaction on the live server, previewed first. Against real
// MariaDB (ROW, FULL): inserts, updates, deletes and a transaction that also wrote another table;
// afterwards the table equals its pre-range state by CHECKSUM TABLE EXTENDED, and the other
// table keeps its change. Tables with cascading foreign keys or triggers are refused with the reason.
import { beforeAll, describe, expect, it } from "vitest";
import { db, parseJson } from "../../server/db/client";
import { callerAs, failure, makeUser, useTempCatalog } from "../helpers/catalog";
import { useMariaDB } from "../helpers/mariadb";
import { archive, archivedUpToNow, fingerprint, pitrBed, shipEverything, type Bed } from "../helpers/pitr";
import { runLog, sleep, waitForRun } from "../helpers/runs";

useTempCatalog();
const src = await useMariaDB();
let bed: Bed;
let before: Record<string, string>;
let after: Record<string, string>;
let otherAfter: string;
let since: Date;
let until: Date;
let fkRange: [Date, Date];
let trgRange: [Date, Date];

const accounts = (fp: Record<string, string>) => ({ rows: fp.accounts, definition: fp["accounts definition"] });

/** Waits for the next whole second and returns it: commits from now on are stamped with it or later. */
async function nextSecond() {
  const now = Date.now();
  await sleep(1000 - (now % 1000) + 20);
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

beforeAll(async () => {
  bed = await pitrBed({ src });
  await src.sql(`CREATE DATABASE ledger; CREATE DATABASE fk; CREATE DATABASE trg;
    CREATE TABLE ledger.accounts (id INT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance DECIMAL(12,2), updated DATETIME(6), note TEXT, flags SET('a','b','c'), ratio FLOAT);
    CREATE TABLE ledger.other (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40));
    INSERT INTO ledger.accounts SELECT seq, CONCAT('owner ', seq), seq * 10 + 0.5, '2026-01-01 10:00:00.123456' + INTERVAL seq MINUTE, CONCAT('n', seq), IF(seq % 2, 'a,c', 'b'), seq / 3 FROM ledger.seq_1_to_100;
    CREATE TABLE fk.parent (id INT PRIMARY KEY, name VARCHAR(20));
    CREATE TABLE fk.child (id INT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES fk.parent (id) ON DELETE CASCADE);
    INSERT INTO fk.parent SELECT seq, CONCAT('p', seq) FROM fk.seq_1_to_10; INSERT INTO fk.child SELECT seq, 1 + seq % 10 FROM fk.seq_1_to_30;
    CREATE TABLE trg.audited (id INT PRIMARY KEY, v INT); CREATE TABLE trg.log (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(60));
    CREATE TRIGGER trg.audited_au AFTER UPDATE ON trg.audited FOR EACH ROW INSERT INTO trg.log (msg) VALUES (CONCAT('v ', OLD.v, ' -> ', NEW.v));
    INSERT INTO trg.audited SELECT seq, seq FROM trg.seq_1_to_10;`);
  await archive(bed, bed.hosts.src!);
  before = await fingerprint(src, "ledger");

  since = await nextSecond();
  await src.sql("INSERT INTO ledger.accounts (id, owner, balance, note) SELECT 200 + seq, CONCAT('new ', seq), seq, NULL FROM ledger.seq_1_to_20");
  await src.sql("UPDATE ledger.accounts SET balance = balance * 2, updated = '2026-02-02 02:02:02.5' WHERE id <= 30");
  await src.sql("DELETE FROM ledger.accounts WHERE id BETWEEN 40 AND 49");
  await src.sql("BEGIN; UPDATE ledger.accounts SET owner = 'renamed' WHERE id = 1; DELETE FROM ledger.accounts WHERE id = 2; INSERT INTO ledger.accounts (id, owner) VALUES (1001, 'one more'); INSERT INTO ledger.other (what) VALUES ('stays'); COMMIT");
  await src.sql("UPDATE ledger.accounts SET note = NULL, flags = 'c' WHERE id BETWEEN 50 AND 54");
  until = new Date();
  after = await fingerprint(src, "ledger");
  otherAfter = after.other!;

  const f0 = await nextSecond();
  await src.sql("DELETE FROM fk.parent WHERE id = 3");
  fkRange = [f0, new Date()];
  const t0 = await nextSecond();
  await src.sql("UPDATE trg.audited SET v = v + 1 WHERE id < 5");
  trgRange = [t0, new Date()];
  await sleep(1100);
  await shipEverything(src, bed.hosts.src!);
}, 120_000);

describe("undo of a time range of one table's DML", () => {
  it("previews first: the counts and a sample, nothing changed", async () => {
    const op = callerAs(await makeUser("operator"));
    const run = await op.incidents.undo({ hostId: bed.hosts.src!, table: "ledger.accounts", since: since.toISOString(), until: until.toISOString(), mode: "preview" });
    const done = await waitForRun(run.id, 60_000);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    const plan = parseJson<{ plan: { transactions: number; rows: Record<string, number>; sample: { statement: string | null }[]; sharedTransactions: number } }>(done.result, null as never).plan;
    expect(plan.transactions).toBe(5);
    expect(plan.rows).toEqual({ inserted: 21, updated: 36, deleted: 11 });
    expect(plan.sharedTransactions).toBe(1);
    expect(plan.sample[0]!.statement).toContain("INSERT INTO ledger.accounts");
    expect(await fingerprint(src, "ledger")).toEqual(after);
    expect(await db().auditEvent.count({ where: { action: "incidents.undo-preview" } })).toBe(1);
  });

  it("applies the inverse in one transaction: the table is back to its pre-range state, the other table keeps its change", async () => {
    const op = callerAs(await makeUser("operator"));
    const run = await op.incidents.undo({ hostId: bed.hosts.src!, table: "ledger.accounts", since: since.toISOString(), until: until.toISOString(), mode: "apply" });
    const done = await waitForRun(run.id, 60_000);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    const now = await fingerprint(src, "ledger");
    expect(accounts(now)).toEqual(accounts(before));
    expect(now.other).toBe(otherAfter);
    expect(await db().auditEvent.count({ where: { action: "incidents.undo" } })).toBe(1);
    // the undo itself changed the table after the range (logged with its own time, not the range's):
    // undoing the range again is refused, not doubled
    await archivedUpToNow(src, bed.hosts.src!);
    const again = await waitForRun((await op.incidents.undo({ hostId: bed.hosts.src!, table: "ledger.accounts", since: since.toISOString(), until: until.toISOString(), mode: "apply" })).id, 60_000);
    expect(again.state, `${await runLog(again.id)}\n${JSON.stringify(accounts(await fingerprint(src, "ledger")))} vs ${JSON.stringify(accounts(before))}`).toBe("failed");
    expect(again.error).toMatch(/ledger\.accounts was changed again after the range/);
    expect(accounts(await fingerprint(src, "ledger"))).toEqual(accounts(before));
  });

  it("refuses a table whose foreign keys cascade: the cascaded rows are not in the binlog", async () => {
    const op = callerAs(await makeUser("operator"));
    const run = await op.incidents.undo({ hostId: bed.hosts.src!, table: "fk.parent", since: fkRange[0].toISOString(), until: fkRange[1].toISOString(), mode: "preview" });
    const done = await waitForRun(run.id, 60_000);
    expect(done.state).toBe("failed");
    expect(done.error).toMatch(/foreign keys cascade from fk\.parent .*ON DELETE CASCADE.*not in the binlog/);
    const [{ n }] = (await src.sql<{ n: number }>("SELECT COUNT(*) AS n FROM fk.parent")) as [{ n: number }];
    expect(Number(n)).toBe(9);
  });

  it("refuses a table with triggers, and says which", async () => {
    const op = callerAs(await makeUser("operator"));
    const run = await op.incidents.undo({ hostId: bed.hosts.src!, table: "trg.audited", since: trgRange[0].toISOString(), until: trgRange[1].toISOString(), mode: "apply" });
    const done = await waitForRun(run.id, 60_000);
    expect(done.state).toBe("failed");
    expect(done.error).toMatch(/trg\.audited has triggers \(audited_au on UPDATE\)/);
  });

  it("on a production host needs an admin and the typed host name; a viewer cannot even preview", async () => {
    await db().host.update({ where: { id: bed.hosts.src! }, data: { environment: "production" } });
    const runs = await db().run.count({ where: { kind: "dml-undo" } });
    const input = { hostId: bed.hosts.src!, table: "ledger.accounts", since: since.toISOString(), until: until.toISOString(), mode: "apply" as const };
    expect((await failure(() => callerAs(null).incidents.undo(input))).code).toBe("UNAUTHORIZED");
    expect((await failure(() => callerAs(makeViewer).incidents.undo({ ...input, mode: "preview" }))).code).toBe("FORBIDDEN");
    const op = await failure(async () => callerAs(await makeUser("operator")).incidents.undo(input));
    expect(op.code).toBe("FORBIDDEN");
    expect(op.message).toMatch(/production.*needs an admin/);
    const admin = callerAs(await makeUser("admin"));
    const typed = await failure(() => admin.incidents.undo({ ...input, confirm: "wrong" }));
    expect(typed.fieldErrors?.confirm?.[0]).toMatch(/Type the host's name \(src\)/);
    // nothing was queued by the refused calls
    expect(await db().run.count({ where: { kind: "dml-undo" } })).toBe(runs);
  });
});

let makeViewer: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  makeViewer = await makeUser("viewer");
});
