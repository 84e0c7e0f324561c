// Point-in-time restores under another name on the source itself, and of a subset of databases:
// two databases written in interleaved transactions (one transaction writes both), row-based and
// statement-based DML, DDL in both (including a trigger and a view). Restoring `shop` as
// `shop_pitr` must reproduce shop's state and leave `shop` alone; restoring only `shop` must never
// apply anything of `crm`, whether the target has no crm at all or a crm of its own.
import { beforeAll, describe, expect, it } from "vitest";
import { parseJson } from "../../server/db/client";
import { callerAs, failure, makeUser, useTempCatalog } from "../helpers/catalog";
import { useMariaDB } from "../helpers/mariadb";
import { runLog, waitForRun } from "../helpers/runs";
import { archive, backupNow, fingerprint, mark, pitrBed, pitrRun, shipEverything, type Bed, type Mark } from "../helpers/pitr";

useTempCatalog();
const src = await useMariaDB();
const dst = await useMariaDB();
let bed: Bed;
let m: Mark;
let crmAtMark: Record<string, string>;

beforeAll(async () => {
  bed = await pitrBed({ src, dst });
  await src.sql(`CREATE DATABASE shop; CREATE DATABASE crm;
    CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, contact_id INT, amount DECIMAL(10,2), placed DATETIME(6));
    CREATE TABLE shop.items (order_id INT, sku VARCHAR(20), qty INT, PRIMARY KEY (order_id, sku));
    CREATE TABLE crm.contacts (id INT PRIMARY KEY, name VARCHAR(50), score INT DEFAULT 0);
    CREATE TABLE crm.log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(100));
    CREATE TRIGGER crm.contacts_ai AFTER INSERT ON crm.contacts FOR EACH ROW INSERT INTO crm.log (what) VALUES (CONCAT('new contact ', NEW.id));
    INSERT INTO crm.contacts (id, name) SELECT seq, CONCAT('contact ', seq) FROM crm.seq_1_to_50;
    INSERT INTO shop.orders (contact_id, amount, placed) SELECT seq, seq * 2.5, '2026-01-01 00:00:00' + INTERVAL seq HOUR FROM shop.seq_1_to_100;`);
  await archive(bed, bed.hosts.src!);
  await backupNow(bed, bed.hosts.src!);
  // the instant below is a whole second: let it start after the backup's consistent point
  await new Promise((r) => setTimeout(r, 1100));

  const w = await src.connect();
  try {
    for (let i = 1; i <= 10; i++) {
      await w.query(`INSERT INTO shop.orders (contact_id, amount, placed) VALUES (${i}, ${i}.99, NOW(6))`);
      await w.query(`INSERT INTO crm.contacts (id, name) VALUES (${100 + i}, 'new ${i}')`);
      await w.query(`INSERT INTO shop.items VALUES (${i}, 'sku-${i}', ${i})`);
      await w.query(`UPDATE crm.contacts SET score = score + ${i} WHERE id <= ${i * 3}`);
    }
    // one transaction writes both databases
    await w.query("BEGIN; INSERT INTO shop.orders (contact_id, amount) VALUES (1, 1000); UPDATE crm.contacts SET name = 'changed in a shared transaction' WHERE id = 1; DELETE FROM shop.items WHERE order_id = 2; COMMIT");
    // statement-based DDL and DML in crm, with crm as the default database
    await w.query("USE crm");
    await w.query("ALTER TABLE contacts ADD COLUMN phone VARCHAR(20)");
    await w.query("CREATE TABLE notes (id INT PRIMARY KEY, body TEXT)");
    await w.query("CREATE TRIGGER contacts_bu BEFORE UPDATE ON contacts FOR EACH ROW SET NEW.score = NEW.score + 1000");
    await w.query("SET SESSION binlog_format = 'STATEMENT'");
    await w.query("UPDATE contacts SET phone = CONCAT('+41 ', id) WHERE id < 10");
    await w.query("INSERT INTO notes VALUES (1, 'statement-based insert in crm')");
    // and in shop, with qualified names a renamed restore has to rewrite
    await w.query("USE shop");
    await w.query("UPDATE shop.orders SET amount = amount + 1 WHERE id % 5 = 0");
    await w.query("SET SESSION binlog_format = 'ROW'");
    await w.query("ALTER TABLE shop.items ADD COLUMN note VARCHAR(40) DEFAULT 'none'");
    await w.query("CREATE VIEW shop.big_orders AS SELECT o.id, o.amount FROM shop.orders o WHERE o.amount > 100");
    await w.query("INSERT INTO shop.items (order_id, sku, qty, note) SELECT id, 'bulk', 1, 'from orders' FROM shop.orders WHERE id > 100");
  } finally {
    await w.end();
  }
  m = await mark(src, "both databases written", new Date(Math.floor(Date.now() / 1000) * 1000), "shop");
  crmAtMark = await fingerprint(src, "crm");
  // writes after the instant, in both databases: a restore to the instant must not show them
  await new Promise((r) => setTimeout(r, 1100));
  await src.sql("INSERT INTO shop.orders (contact_id, amount) VALUES (2, 2); INSERT INTO crm.contacts (id, name) VALUES (999, 'after')");
  await shipEverything(src, bed.hosts.src!);
}, 180_000);

describe("point-in-time restore under a new name", () => {
  it("restores shop as shop_pitr on the source itself, through pitr.start as an operator", async () => {
    const shopBefore = await fingerprint(src, "shop");
    const [g0] = await src.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
    const operator = await makeUser("operator");
    const run = await callerAs(operator).pitr.start({ hostId: bed.hosts.src!, targetHostId: bed.hosts.src!, until: m.time.toISOString(), databases: ["shop"], rename: { shop: "shop_pitr" } });
    const done = await waitForRun(run.id, 120_000);
    expect(done.state, `${done.error}\n${await runLog(done.id)}`).toBe("succeeded");
    expect(await fingerprint(src, "shop_pitr")).toEqual(m.fp);
    // the view's qualified names were rewritten, and the original database was not touched
    const [view] = await src.sql<{ "Create View": string }>("SHOW CREATE VIEW shop_pitr.big_orders");
    expect(view!["Create View"]).toContain("`shop_pitr`.`orders`");
    expect(view!["Create View"]).not.toContain("`shop`.");
    expect(await fingerprint(src, "shop")).toEqual(shopBefore);
    // neither the base restore nor the replay went to the source's binlog (so nothing is archived twice)
    const [g1] = await src.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
    expect(g1!.g).toBe(g0!.g);
    expect(parseJson<{ databases: string[] }>(done.result, { databases: [] }).databases).toEqual(["shop_pitr"]);
  });

  it("writes the restore to the target's binlog when asked, so its replicas (and its archive) follow", async () => {
    const [g0] = await src.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
    const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.src!, until: m.time.toISOString(), databases: ["shop"], rename: { shop: "shop_logged" }, writeBinlog: true });
    expect(run.state, `${run.error}\n${await runLog(run.id)}`).toBe("succeeded");
    expect(await fingerprint(src, "shop_logged")).toEqual(m.fp);
    expect(parseJson<{ replay: { binlogDisabled: boolean; transactions: number } }>(run.result, { replay: { binlogDisabled: true, transactions: 0 } }).replay.binlogDisabled).toBe(false);
    const [g1] = await src.sql<{ g: string }>("SELECT @@gtid_binlog_pos AS g");
    expect(g1!.g).not.toBe(g0!.g);
    const [{ n }] = (await src.sql<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop_logged'")) as [{ n: number }];
    expect(Number(n)).toBeGreaterThan(0);
  });

  it("refuses an operator restoring over the source's own database, and explains", async () => {
    const operator = await makeUser("operator");
    const f = await failure(() => callerAs(operator).pitr.start({ hostId: bed.hosts.src!, targetHostId: bed.hosts.src!, until: m.time.toISOString(), databases: ["shop"] }));
    expect(f.code).toBe("FORBIDDEN");
    expect(f.message).toMatch(/needs an admin.*shop -> shop_pitr/);
  });
});

describe("point-in-time restore of a subset of databases", () => {
  it("restores only shop: no statement or row of crm is applied, and crm does not appear", async () => {
    const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, untilGtid: m.gtid, databases: ["shop"] });
    expect(run.state, `${run.error}\n${await runLog(run.id)}`).toBe("succeeded");
    expect(await fingerprint(dst, "shop")).toEqual(m.fp);
    const dbs = (await dst.sql<{ n: string }>("SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA")).map((r) => r.n);
    expect(dbs).toContain("shop");
    expect(dbs).not.toContain("crm");
    const log = await runLog(run.id);
    expect(log).toMatch(/Skipped .*ALTER TABLE contacts ADD COLUMN phone .*touches only crm/);
  });

  it("leaves a crm of the target's own (its tables and triggers) exactly as it was", async () => {
    await dst.sql(`CREATE DATABASE crm; CREATE TABLE crm.contacts (id INT PRIMARY KEY, name VARCHAR(50), score INT DEFAULT 0);
      CREATE TABLE crm.log (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(100));
      CREATE TRIGGER crm.contacts_ai AFTER INSERT ON crm.contacts FOR EACH ROW INSERT INTO crm.log (what) VALUES (CONCAT('target contact ', NEW.id));
      INSERT INTO crm.contacts (id, name) VALUES (1, 'the target''s own'), (2, 'another')`);
    const before = await fingerprint(dst, "crm");
    const triggersBefore = await dst.sql("SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'crm' ORDER BY 1");
    const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, until: m.time.toISOString(), databases: ["shop"], dropExisting: true });
    expect(run.state, `${run.error}\n${await runLog(run.id)}`).toBe("succeeded");
    expect(await fingerprint(dst, "shop")).toEqual(m.fp);
    expect(await fingerprint(dst, "crm")).toEqual(before);
    expect(await dst.sql("SELECT TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'crm' ORDER BY 1")).toEqual(triggersBefore);
    expect(crmAtMark).not.toEqual(before);
  });

  it("restores both databases together to the same instant", async () => {
    const run = await pitrRun({ hostId: bed.hosts.src!, targetHostId: bed.hosts.dst!, untilPosition: m.position, dropExisting: true });
    expect(run.state, `${run.error}\n${await runLog(run.id)}`).toBe("succeeded");
    expect(await fingerprint(dst, "shop")).toEqual(m.fp);
    expect(await fingerprint(dst, "crm")).toEqual(crmAtMark);
  });
});
